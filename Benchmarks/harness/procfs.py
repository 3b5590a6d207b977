"""Readings from /proc: memory, context switches, threads, descriptors, processes."""

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


def voluntary_switches_by_thread(pid: int) -> dict[int, tuple[str, int]]:
    """Each thread's name (`comm`) and voluntary context switches: how often it went to sleep
    and was woken, the wake-ups of an idle process."""
    threads = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as comm:
                name = comm.read().strip()
            with open(f"/proc/{pid}/task/{task}/status") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches:"):
                        threads[int(task)] = (name, int(line.split()[1]))
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return threads


def thread_names(pid: int) -> list[str]:
    """The `comm` of every thread of a process."""
    names = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as comm:
                names.append(comm.read().strip())
        except FileNotFoundError:
            pass
    return names


def mapping_count(pid: int) -> int:
    """Memory mappings of a process (lines of /proc/PID/maps)."""
    with open(f"/proc/{pid}/maps") as maps:
        return sum(1 for _ in maps)


def smaps_by_file(pid: int) -> dict[str, dict[str, int]]:
    """Pss, Rss and USS (private clean + dirty) in kB, summed per mapped file (by base name;
    `[heap]`, `[stack]`, `[anon]` for the anonymous kinds), from /proc/PID/smaps."""
    totals: dict[str, dict[str, int]] = {}
    current = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            parts = line.split()
            if not parts:
                continue
            if not parts[0].endswith(":"):  # a mapping's header: address perms offset dev inode [path]
                path = " ".join(parts[5:]) if len(parts) > 5 else "[anon]"
                name = path if path.startswith("[") else os.path.basename(path)
                current = totals.setdefault(name, {"pss": 0, "rss": 0, "uss": 0})
            elif current is not None and len(parts) == 3 and parts[2] == "kB":
                field = parts[0][:-1]
                if field == "Pss":
                    current["pss"] += int(parts[1])
                elif field == "Rss":
                    current["rss"] += int(parts[1])
                elif field in ("Private_Clean", "Private_Dirty"):
                    current["uss"] += int(parts[1])
    return totals


def mapped_paths(pid: int) -> set[str]:
    """The files a process maps."""
    paths = set()
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].startswith("/"):
                paths.add(parts[5].strip())
    return paths


def parents() -> dict[int, int]:
    """Every live (not zombie) process's parent pid."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fields[0] != "Z":
            table[int(entry)] = int(fields[1])
    return table


def descendants(pid: int, table: dict[int, int]) -> set[int]:
    """`pid` and every process below it, from a `parents()` table."""
    children: dict[int, list[int]] = {}
    for child, parent in table.items():
        children.setdefault(parent, []).append(child)
    found, queue = {pid}, [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            if child not in found:
                found.add(child)
                queue.append(child)
    return found


def processes_mapping(paths: set[str], excluded: set[int]) -> int:
    """How many processes, outside `excluded`, map any of `paths` (those this user may read)."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in excluded:
            continue
        try:
            if mapped_paths(int(entry)) & paths:
                count += 1
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return count
