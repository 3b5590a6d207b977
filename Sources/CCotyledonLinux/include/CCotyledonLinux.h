#ifndef C_COTYLEDON_LINUX_H
#define C_COTYLEDON_LINUX_H

// Fixed-arity wrappers for Linux calls Swift cannot import directly
// (variadic functions, macros) and for syscalls glibc 2.36 has no wrapper for.

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <time.h>

static inline int ccotyledon_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

static inline int ccotyledon_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

static inline int ccotyledon_set_child_subreaper(int on) {
    return prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)on, 0UL, 0UL, 0UL);
}

static inline int ccotyledon_is_child_subreaper(void) {
    int value = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, (unsigned long)&value, 0UL, 0UL, 0UL) != 0) {
        return 0;
    }
    return value;
}

int ccotyledon_pipe_cloexec(int fds[2]);

/// Copies at most `capacity` bytes of the main program's GNU build-id (the ELF note the
/// linker writes, `NT_GNU_BUILD_ID`) into `buffer`; returns how many, 0 without one.
int ccotyledon_build_id(unsigned char *buffer, size_t capacity);

/// Makes stdout line-buffered (it is fully buffered on a pipe or the journal).
void ccotyledon_line_buffer_stdout(void);

static inline pid_t ccotyledon_fork(void) {
    return fork();
}

static inline int ccotyledon_close_range(unsigned int first, unsigned int last) {
    return (int)syscall(SYS_close_range, first, last, 0);
}

static inline int ccotyledon_fcntl_dupfd(int fd, int minimum) {
    return fcntl(fd, F_DUPFD, minimum);
}

static inline int ccotyledon_fcntl_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        return -1;
    }
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/// `memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)`, through the raw syscall.
static inline int ccotyledon_memfd_create(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 0x0001U | 0x0002U);
}

/// Seals a memfd against any further change (`F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE`).
static inline int ccotyledon_memfd_seal_all(int fd) {
    return fcntl(fd, 1033 /* F_ADD_SEALS */, 0x0001 | 0x0002 | 0x0004 | 0x0008);
}

/// The seals of a memfd (`F_GET_SEALS`), -1 with errno for a descriptor that takes none.
static inline int ccotyledon_memfd_seals(int fd) {
    return fcntl(fd, 1034 /* F_GET_SEALS */);
}

/// Sets or clears `FD_CLOEXEC` on `fd`.
static inline int ccotyledon_set_close_on_exec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) {
        return -1;
    }
    return fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

/// The pid of a child that has exited, left unreaped (`waitid(P_ALL, WEXITED | WNOHANG |
/// WNOWAIT)`): 0 when none has, -1 with errno on failure (ECHILD: no children).
static inline pid_t ccotyledon_peek_exited_child(void) {
    siginfo_t info;
    info.si_pid = 0;
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        return -1;
    }
    return info.si_pid;
}

static inline int ccotyledon_wifexited(int status) { return WIFEXITED(status); }
static inline int ccotyledon_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int ccotyledon_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int ccotyledon_wtermsig(int status) { return WTERMSIG(status); }
static inline int ccotyledon_wcoredump(int status) { return WCOREDUMP(status); }

/// One signal as the handler below writes it to its pipe: the number and the pid of the
/// process that sent it (`si_pid`; 0 when the kernel sent it).
struct ccotyledon_signal_record {
    int32_t signal_number;
    int32_t sender_pid;
};

/// Installs a worker's signal handling: for each of `signals`, an `SA_SIGINFO` handler that
/// writes one `ccotyledon_signal_record` to `pipe_fd` (a non-blocking pipe) in a single
/// write, which a pipe keeps whole (the self-pipe technique, async-signal-safe), and the
/// handler of `backstop_signal`, which the worker's two backstop timers send. Beyond
/// writing the record, the handler:
/// - for SIGINT and SIGQUIT, when the worker's event loop is not waiting in `epoll_wait`
///   (a `run()` may hold the main thread), ends the worker itself: it reports an outside
///   sender to the master (`ccotyledon_worker_report_outside`), then kills the process
///   group if the master is gone, then `_exit(0)`. When the loop is waiting, it
///   leaves the signal to the loop and arms a timer that does the same after
///   `fast_stop_backstop_ns`, should the loop have stopped waiting in between;
/// - for SIGTERM while the parent is no longer `master_pid` (the parent-death signal),
///   arms the group kill `orphan_grace_ns` from now (`ccotyledon_worker_arm_group_kill`).
/// It also puts `master_alive_fd`, the read end of the pipe whose only writer is the master,
/// in signal-driven mode on a description of its own (reopened through /proc/self/fd, at the
/// same number; left as it is without /proc): when the master's end closes, the kernel sends
/// `backstop_signal`, whose handler arms the same group kill if the pipe has hung up. That
/// holds even for a worker whose parent-death signal a change of user or group id cleared.
/// In a process other than the one that installed them (a fork without exec), the handlers
/// restore the signal's default action and raise it again.
/// Returns 0, or -1 with errno.
int ccotyledon_worker_signals_install(int pipe_fd, int message_fd, int master_alive_fd, pid_t master_pid,
                                      const unsigned char *outside_message, int outside_length,
                                      const int *signals, int count, int backstop_signal,
                                      int64_t fast_stop_backstop_ns, int64_t orphan_grace_ns);

/// The signal of the worker's backstop timers: `SIGRTMAX`, a real-time signal no library
/// the project knows of uses (`SIGALRM` would clash with `alarm()` in service code).
static inline int ccotyledon_worker_backstop_signal(void) {
    return SIGRTMAX;
}

/// Tells the handler whether the worker's event loop waits in `epoll_wait` (1) or runs
/// code (0), with a sequentially consistent store.
void ccotyledon_worker_set_loop_waiting(int waiting);

/// Makes the one report of an outside stop signal the worker may make, claiming and
/// writing it in one call with the worker's signals blocked: writes the `outside_message`
/// given at install (`outside_length` bytes, at most 16) to `message_fd`, with
/// `signal_number` in its byte 1 and `sender`, little-endian, in its bytes 2 to 5. Returns 1
/// when this call wrote it; 0 when it was made or withdrawn before, or is being written by
/// another thread, which this call then waits for (at most 100 ms) so that a caller about to
/// exit does not cut the report short. Async-signal-safe.
int ccotyledon_worker_report_outside(int signal_number, pid_t sender);

/// Withdraws the report of an outside stop signal, unless it was claimed already: the
/// worker is already stopping, or has no master to tell.
void ccotyledon_worker_withdraw_outside_report(void);

/// Arms the backstop that SIGKILLs the worker's whole process group (itself included)
/// `delay_ns` from now on `CLOCK_MONOTONIC`, unless it is already armed to fire sooner.
/// Async-signal-safe. Returns 0, or -1 with errno.
int ccotyledon_worker_arm_group_kill(int64_t delay_ns);

/// Whether the handler above has seen SIGTERM, SIGINT or SIGQUIT: set in the handler
/// itself, so it is true from the moment the signal is delivered, before any thread
/// reads the pipe.
int ccotyledon_stop_signal_received(void);

/// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`.
static inline int ccotyledon_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/// `timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)`.
static inline int ccotyledon_timerfd_create(void) {
    return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
}

/// Arms `fd` to expire once at `deadline_ns` on `CLOCK_MONOTONIC` (absolute; a deadline
/// already past expires at once), or disarms it when `deadline_ns` is 0 or less.
static inline int ccotyledon_timerfd_set(int fd, int64_t deadline_ns) {
    struct itimerspec value = {{0, 0}, {0, 0}};
    if (deadline_ns > 0) {
        value.it_value.tv_sec = (time_t)(deadline_ns / 1000000000);
        value.it_value.tv_nsec = (long)(deadline_ns % 1000000000);
    }
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &value, NULL);
}

/// `accept4(fd, NULL, NULL, flags)` (needs _GNU_SOURCE, so not importable directly).
int ccotyledon_accept(int fd, int flags);

/// The uid of the peer of a connected unix socket (SO_PEERCRED); -1 on error.
int ccotyledon_peer_uid(int fd, uid_t *uid);

/// The process environment array, for the process-title code that moves it.
char **ccotyledon_environ_get(void);
void ccotyledon_environ_set(char **environment);

/// Relaxed atomic load and store of a 64-bit word, for words in memory shared between
/// processes (`MAP_SHARED`), which Swift's atomics cannot be placed in.
static inline int64_t ccotyledon_atomic_load(const int64_t *word) { return __atomic_load_n(word, __ATOMIC_RELAXED); }
static inline void ccotyledon_atomic_store(int64_t *word, int64_t value) { __atomic_store_n(word, value, __ATOMIC_RELAXED); }

/// A seqlock over memory shared between processes (one writer, the master): the writer
/// makes the sequence odd, writes, then makes it even again; a reader copies between two
/// loads of the sequence and keeps the copy only if both are the same even number.
static inline int64_t ccotyledon_atomic_load_acquire(const int64_t *word) { return __atomic_load_n(word, __ATOMIC_ACQUIRE); }
/// Makes `*sequence` odd (a write begins); the data written next cannot be seen before it.
static inline void ccotyledon_seqlock_write_begin(int64_t *sequence) {
    __atomic_store_n(sequence, __atomic_load_n(sequence, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}
/// Makes `*sequence` even again (the write is complete), after the data written.
static inline void ccotyledon_seqlock_write_end(int64_t *sequence) {
    __atomic_store_n(sequence, __atomic_load_n(sequence, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}
/// The sequence after a reader's copy, loaded after the data copied.
static inline int64_t ccotyledon_seqlock_read_end(const int64_t *sequence) {
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return __atomic_load_n(sequence, __ATOMIC_RELAXED);
}

/// libdispatch's hooks for a run loop that drains the main queue on the main thread (what
/// Foundation's RunLoop uses on Linux): an eventfd that becomes readable when the main
/// queue has work, and the call that runs that work.
int _dispatch_get_main_queue_handle_4CF(void);
void _dispatch_main_queue_callback_4CF(void *message);

#endif
