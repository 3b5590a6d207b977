"""Readings from /proc: memory, context switches, descriptors."""

import os
import time


def monotonic() -> float:
    """CLOCK_MONOTONIC in seconds: the clock of the `mono=` fields on both sides."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def smaps_rollup_kib(pid: int) -> dict[str, int]:
    """The kB fields of /proc/PID/smaps_rollup (Rss, Pss, Private_Clean, …)."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields


def pss_and_uss_mib(pid: int) -> tuple[float, float]:
    """Proportional and unique set sizes of a process, in MiB."""
    fields = smaps_rollup_kib(pid)
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return fields["Pss"] / 1024, uss / 1024


def rss_mib(pid: int) -> float:
    """VmRSS of a process, in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def context_switches(pid: int) -> int:
    """Voluntary plus involuntary context switches of every thread of a process.

    /proc/PID/status counts the main thread only; cotyledon's master has more threads, so
    the counts of /proc/PID/task/*/status are summed (the Swift master has one thread).
    """
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as status:
                for line in status:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def cpu_ms(pid: int) -> float:
    """CPU time used so far by every thread of a process (schedstat, nanosecond precision), ms."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as schedstat:
                total += int(schedstat.read().split()[0])
        except FileNotFoundError:
            pass
    return total / 1e6


def reaped_children_cpu_ms() -> float:
    """User plus system CPU of the harness's reaped children and of what they reaped, ms."""
    times = os.times()
    return (times.children_user + times.children_system) * 1000


def thread_count(pid: int) -> int:
    """Threads of a process."""
    return len(os.listdir(f"/proc/{pid}/task"))


def descriptor_count(pid: int) -> int:
    """Open file descriptors of a process."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def is_alive(pid: int) -> bool:
    """Whether pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
