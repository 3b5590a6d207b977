#define _GNU_SOURCE
#include "CCotyledonLinux.h"
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* In the master's new image after an in-place upgrade (COTYLEDON_UPGRADE_STATE set), the
 * descriptors handed over cross the execve without close-on-exec. Before any code of the
 * program runs, every descriptor above 2 is made close-on-exec again: a process the program
 * starts before ServiceManager.run() (system(), popen(), a sidecar) must not inherit the
 * master-alive pipe's write end, the listeners or the workers' message pipes. The library finds
 * them by number all the same. close_range(CLOSE_RANGE_CLOEXEC) needs Linux 5.11; older
 * kernels get a loop over /proc/self/fd. */
__attribute__((constructor))
static void ccotyledon_handed_over_descriptors_close_on_exec(void) {
    if (getenv("COTYLEDON_UPGRADE_STATE") == NULL) {
        return;
    }
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
        return;
    }
#endif
    DIR *directory = opendir("/proc/self/fd");
    if (directory == NULL) {
        return;
    }
    int own = dirfd(directory);
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        char *end = NULL;
        long fd = strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end != '\0' || fd < 3 || fd == own) {
            continue;
        }
        int flags = fcntl((int)fd, F_GETFD);
        if (flags >= 0) {
            fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
    closedir(directory);
}

char **ccotyledon_environ_get(void) {
    return environ;
}

void ccotyledon_environ_set(char **environment) {
    environ = environment;
}

int ccotyledon_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

void ccotyledon_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* A worker's signal handling (see the header): the state the handlers read, set once by
 * ccotyledon_worker_signals_install before the signals are unblocked. */
static int ccotyledon_signal_pipe = -1;
static int ccotyledon_message_fd = -1;
static int ccotyledon_master_alive_fd = -1;
static pid_t ccotyledon_master_pid = 0;
/* The worker's own pid: a process service code forks without exec inherits the handlers,
 * and must not act as the worker. */
static pid_t ccotyledon_worker_pid = 0;
/* The handled signals and the backstop signal: blocked while a handler runs and while the
 * outside report is written, so that no handler interrupts a thread between its claim of
 * the report and its write. */
static sigset_t ccotyledon_worker_signal_set;
static unsigned char ccotyledon_outside_message[16];
static int ccotyledon_outside_length = 0;
static int64_t ccotyledon_fast_stop_backstop_ns = 0;
static int64_t ccotyledon_orphan_grace_ns = 0;
static timer_t ccotyledon_fast_stop_timer;
static timer_t ccotyledon_group_kill_timer;
static volatile sig_atomic_t ccotyledon_stop_signalled = 0;
/* Read and written with atomics: the handlers run on any thread that has the signals unblocked. */
static int ccotyledon_loop_waiting = 0;
/* The outside report: available, being written by the thread that claimed it, written, or
 * withdrawn. */
enum { ccotyledon_report_available = 0, ccotyledon_report_claimed = 1, ccotyledon_report_written = 2,
       ccotyledon_report_withdrawn = 3 };
static int ccotyledon_outside_report = ccotyledon_report_available;
/* How long a caller that lost the claim waits for the thread that won it to write the report. */
static const int64_t ccotyledon_report_wait_ns = 100000000;
static int ccotyledon_fast_stop_signal = 0;
static int ccotyledon_fast_stop_sender = 0;
/* When the group kill is armed to fire (CLOCK_MONOTONIC nanoseconds), 0 while it is not. */
static int64_t ccotyledon_group_kill_deadline = 0;
/* The handlers use it: a lock inside a libatomic fallback would not be async-signal-safe. */
_Static_assert(__atomic_always_lock_free(sizeof(int64_t), 0),
               "the worker's signal handlers need lock-free 64-bit atomics");

enum { ccotyledon_fast_stop_backstop = 1, ccotyledon_group_kill_backstop = 2 };

static int64_t ccotyledon_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static int64_t ccotyledon_saturating_add(int64_t a, int64_t b) {
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? INT64_MAX : INT64_MIN;
    }
    return sum;
}

static int ccotyledon_arm(timer_t timer, int64_t deadline_ns) {
    struct itimerspec value = {{0, 0}, {0, 0}};
    if (deadline_ns < 1) {
        deadline_ns = 1;
    }
    value.it_value.tv_sec = (time_t)(deadline_ns / 1000000000);
    value.it_value.tv_nsec = (long)(deadline_ns % 1000000000);
    return timer_settime(timer, TIMER_ABSTIME, &value, NULL);
}

int ccotyledon_worker_report_outside(int signal_number, pid_t sender) {
    sigset_t saved;
    pthread_sigmask(SIG_BLOCK, &ccotyledon_worker_signal_set, &saved);
    int expected = ccotyledon_report_available;
    int claimed = __atomic_compare_exchange_n(&ccotyledon_outside_report, &expected, ccotyledon_report_claimed,
                                              0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    if (claimed) {
        unsigned char message[16];
        memcpy(message, ccotyledon_outside_message, (size_t)ccotyledon_outside_length);
        message[1] = (unsigned char)signal_number;
        for (int index = 0; index < 4; index++) {
            message[2 + index] = (unsigned char)((uint32_t)sender >> (8 * index));
        }
        ssize_t written;
        do {
            written = write(ccotyledon_message_fd, message, (size_t)ccotyledon_outside_length);
        } while (written < 0 && errno == EINTR);
        __atomic_store_n(&ccotyledon_outside_report, ccotyledon_report_written, __ATOMIC_SEQ_CST);
    } else if (expected == ccotyledon_report_claimed) {
        /* Another thread claimed it and is writing it (not this one: the signals are blocked
         * from the claim to the write). The caller is about to exit: give it time to finish. */
        int64_t give_up = ccotyledon_saturating_add(ccotyledon_monotonic_ns(), ccotyledon_report_wait_ns);
        while (__atomic_load_n(&ccotyledon_outside_report, __ATOMIC_SEQ_CST) == ccotyledon_report_claimed
               && ccotyledon_monotonic_ns() < give_up) {
            sched_yield();
        }
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return claimed;
}

/* Ends the worker at once for SIGINT or SIGQUIT: reports an outside sender to the master
 * (once, and only while the master is the parent), kills the group of an orphan, exits 0.
 * Async-signal-safe. */
static void ccotyledon_end_worker(int signal_number, pid_t sender) {
    int has_master = getppid() == ccotyledon_master_pid;
    if (sender != ccotyledon_master_pid && has_master) {
        ccotyledon_worker_report_outside(signal_number, sender);
    }
    if (!has_master) {
        kill(0, SIGKILL);
    }
    _exit(0);
}

/* In a process service code forked from the worker without exec: the signal takes its
 * default action, as if the handlers had never been installed. Returns 1 then. */
static int ccotyledon_not_the_worker(int signal_number) {
    if (getpid() == ccotyledon_worker_pid) {
        return 0;
    }
    signal(signal_number, SIG_DFL);
    raise(signal_number);
    return 1;
}

static void ccotyledon_worker_signal(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
    if (ccotyledon_not_the_worker(signal_number)) {
        errno = saved_errno;
        return;
    }
    pid_t sender = info == NULL ? 0 : info->si_pid;
    if (signal_number == SIGTERM || signal_number == SIGINT || signal_number == SIGQUIT) {
        ccotyledon_stop_signalled = 1;
    }
    if (signal_number == SIGTERM && getppid() != ccotyledon_master_pid) {
        ccotyledon_worker_arm_group_kill(ccotyledon_orphan_grace_ns);
    }
    if (signal_number == SIGINT || signal_number == SIGQUIT) {
        if (!__atomic_load_n(&ccotyledon_loop_waiting, __ATOMIC_SEQ_CST)) {
            ccotyledon_end_worker(signal_number, sender);
        }
        __atomic_store_n(&ccotyledon_fast_stop_signal, signal_number, __ATOMIC_SEQ_CST);
        __atomic_store_n(&ccotyledon_fast_stop_sender, sender, __ATOMIC_SEQ_CST);
        ccotyledon_arm(ccotyledon_fast_stop_timer,
                       ccotyledon_saturating_add(ccotyledon_monotonic_ns(), ccotyledon_fast_stop_backstop_ns));
    }
    struct ccotyledon_signal_record record = { signal_number, sender };
    ssize_t written = write(ccotyledon_signal_pipe, &record, sizeof(record));
    (void)written;
    errno = saved_errno;
}

static void ccotyledon_worker_backstop(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
    if (ccotyledon_not_the_worker(signal_number) || info == NULL) {
        errno = saved_errno;
        return;
    }
    if (info->si_code != SI_TIMER) {
        /* The master-alive pipe in signal-driven mode: the master only ever closes it. */
        if (info->si_code > 0 && info->si_fd == ccotyledon_master_alive_fd && ccotyledon_master_alive_fd >= 0) {
            struct pollfd pipe_end = { ccotyledon_master_alive_fd, POLLIN, 0 };
            if (poll(&pipe_end, 1, 0) == 1 && (pipe_end.revents & (POLLHUP | POLLERR)) != 0) {
                ccotyledon_worker_arm_group_kill(ccotyledon_orphan_grace_ns);
            }
        }
        errno = saved_errno;
        return;
    }
    switch (info->si_value.sival_int) {
    case ccotyledon_fast_stop_backstop:
        ccotyledon_end_worker(__atomic_load_n(&ccotyledon_fast_stop_signal, __ATOMIC_SEQ_CST),
                              __atomic_load_n(&ccotyledon_fast_stop_sender, __ATOMIC_SEQ_CST));
        break;
    case ccotyledon_group_kill_backstop:
        kill(0, SIGKILL);
        break;
    default:
        break;
    }
    errno = saved_errno;
}

static int ccotyledon_create_backstop_timer(timer_t *timer, int signal_number, int kind) {
    struct sigevent event;
    memset(&event, 0, sizeof(event));
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = signal_number;
    event.sigev_value.sival_int = kind;
    return timer_create(CLOCK_MONOTONIC, &event, timer);
}

/* Puts the master-alive pipe's read end in signal-driven mode: the kernel sends
 * `signal_number` (with si_fd and a POLL_* si_code) when its last writer, the master, closes
 * it, even while every thread of the worker is busy. F_SETOWN belongs to the open file
 * description, which all the workers share (the last to set it would win), so the worker
 * first takes a description of its own by opening /proc/self/fd/N, which for a pipe opens the
 * pipe anew, and puts it at the same number. Without /proc it leaves the pipe as it is
 * (returns 0: the loop and the parent-death signal still notice the master's death). */
static int ccotyledon_watch_master_alive(int fd, int signal_number) {
    char path[40];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int status_flags = fcntl(fd, F_GETFL);
    int descriptor_flags = fcntl(fd, F_GETFD);
    if (status_flags < 0 || descriptor_flags < 0) {
        return -1;
    }
    /* Non-blocking: opening a pipe for reading without O_NONBLOCK waits for a writer, for
     * ever once the master is gone. The pipe's own flags are set again below. */
    int own = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (own < 0) {
        return 0;
    }
    if (dup3(own, fd, (descriptor_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
        int saved = errno;
        close(own);
        errno = saved;
        return -1;
    }
    close(own);
    if (fcntl(fd, F_SETOWN, getpid()) != 0 || fcntl(fd, F_SETSIG, signal_number) != 0
        || fcntl(fd, F_SETFL, (status_flags & O_NONBLOCK) | O_ASYNC) != 0) {
        return -1;
    }
    ccotyledon_master_alive_fd = fd;
    /* The master may have died before O_ASYNC was set: its close sent nothing then. */
    struct pollfd pipe_end = { fd, POLLIN, 0 };
    if (poll(&pipe_end, 1, 0) == 1 && (pipe_end.revents & (POLLHUP | POLLERR)) != 0) {
        return ccotyledon_worker_arm_group_kill(ccotyledon_orphan_grace_ns);
    }
    return 0;
}

int ccotyledon_worker_signals_install(int pipe_fd, int message_fd, int master_alive_fd, pid_t master_pid,
                                      const unsigned char *outside_message, int outside_length,
                                      const int *signals, int count, int backstop_signal,
                                      int64_t fast_stop_backstop_ns, int64_t orphan_grace_ns) {
    if (outside_length < 6 || outside_length > (int)sizeof(ccotyledon_outside_message)) {
        errno = EINVAL;
        return -1;
    }
    ccotyledon_signal_pipe = pipe_fd;
    ccotyledon_message_fd = message_fd;
    ccotyledon_master_pid = master_pid;
    ccotyledon_worker_pid = getpid();
    sigemptyset(&ccotyledon_worker_signal_set);
    sigaddset(&ccotyledon_worker_signal_set, backstop_signal);
    for (int index = 0; index < count; index++) {
        sigaddset(&ccotyledon_worker_signal_set, signals[index]);
    }
    memcpy(ccotyledon_outside_message, outside_message, (size_t)outside_length);
    ccotyledon_outside_length = outside_length;
    ccotyledon_fast_stop_backstop_ns = fast_stop_backstop_ns;
    ccotyledon_orphan_grace_ns = orphan_grace_ns;
    if (ccotyledon_create_backstop_timer(&ccotyledon_fast_stop_timer, backstop_signal, ccotyledon_fast_stop_backstop) != 0
        || ccotyledon_create_backstop_timer(&ccotyledon_group_kill_timer, backstop_signal, ccotyledon_group_kill_backstop) != 0) {
        return -1;
    }
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = ccotyledon_worker_backstop;
    action.sa_mask = ccotyledon_worker_signal_set;
    action.sa_flags = SA_RESTART | SA_SIGINFO;
    if (sigaction(backstop_signal, &action, NULL) != 0) {
        return -1;
    }
    action.sa_sigaction = ccotyledon_worker_signal;
    for (int index = 0; index < count; index++) {
        if (sigaction(signals[index], &action, NULL) != 0) {
            return -1;
        }
    }
    return ccotyledon_watch_master_alive(master_alive_fd, backstop_signal);
}

void ccotyledon_worker_set_loop_waiting(int waiting) {
    __atomic_store_n(&ccotyledon_loop_waiting, waiting, __ATOMIC_SEQ_CST);
}

void ccotyledon_worker_withdraw_outside_report(void) {
    int expected = ccotyledon_report_available;
    __atomic_compare_exchange_n(&ccotyledon_outside_report, &expected, ccotyledon_report_withdrawn, 0,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

int ccotyledon_worker_arm_group_kill(int64_t delay_ns) {
    int64_t deadline = ccotyledon_saturating_add(ccotyledon_monotonic_ns(), delay_ns);
    if (deadline < 1) {
        deadline = 1;
    }
    int64_t armed = __atomic_load_n(&ccotyledon_group_kill_deadline, __ATOMIC_SEQ_CST);
    while (armed == 0 || deadline < armed) {
        if (__atomic_compare_exchange_n(&ccotyledon_group_kill_deadline, &armed, deadline, 0,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            if (ccotyledon_arm(ccotyledon_group_kill_timer, deadline) != 0) {
                return -1;
            }
            /* A handler that armed it sooner in between had its timer_settime overwritten:
             * arm its deadline again. */
            armed = __atomic_load_n(&ccotyledon_group_kill_deadline, __ATOMIC_SEQ_CST);
            if (armed != deadline) {
                return ccotyledon_arm(ccotyledon_group_kill_timer, armed);
            }
            return 0;
        }
    }
    return 0;
}

int ccotyledon_stop_signal_received(void) {
    return ccotyledon_stop_signalled;
}

int ccotyledon_peer_uid(int fd, uid_t *uid) {
    struct ucred credentials;
    socklen_t size = sizeof(credentials);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
        return -1;
    }
    *uid = credentials.uid;
    return 0;
}

int ccotyledon_accept(int fd, int flags) {
    return accept4(fd, NULL, NULL, flags);
}

struct ccotyledon_build_id_search {
    unsigned char *buffer;
    size_t capacity;
    int length;
};

/* Looks for the GNU build-id note among the program headers of the first object
 * dl_iterate_phdr reports: the main program. */
static int ccotyledon_find_build_id(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct ccotyledon_build_id_search *search = data;
    for (ElfW(Half) index = 0; index < info->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[index];
        if (header->p_type != PT_NOTE) continue;
        const unsigned char *note = (const unsigned char *)(info->dlpi_addr + header->p_vaddr);
        const unsigned char *end = note + header->p_memsz;
        while (note + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *entry = (const ElfW(Nhdr) *)note;
            size_t name_size = (entry->n_namesz + 3u) & ~3u;
            size_t description_size = (entry->n_descsz + 3u) & ~3u;
            const unsigned char *name = note + sizeof(ElfW(Nhdr));
            const unsigned char *description = name + name_size;
            if (description + description_size > end) break;
            if (entry->n_type == NT_GNU_BUILD_ID && entry->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                size_t length = entry->n_descsz < search->capacity ? entry->n_descsz : search->capacity;
                memcpy(search->buffer, description, length);
                search->length = (int)length;
                return 1;
            }
            note = description + description_size;
        }
    }
    return 1; /* only the main program */
}

int ccotyledon_build_id(unsigned char *buffer, size_t capacity) {
    struct ccotyledon_build_id_search search = { buffer, capacity, 0 };
    dl_iterate_phdr(ccotyledon_find_build_id, &search);
    return search.length;
}
