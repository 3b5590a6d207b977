#define _GNU_SOURCE
#include "CCotyledonLinux.h"
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
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
static pid_t ccotyledon_master_pid = 0;
static unsigned char ccotyledon_outside_message[16];
static int ccotyledon_outside_length = 0;
static int64_t ccotyledon_fast_stop_backstop_ns = 0;
static int64_t ccotyledon_orphan_grace_ns = 0;
static timer_t ccotyledon_fast_stop_timer;
static timer_t ccotyledon_group_kill_timer;
static volatile sig_atomic_t ccotyledon_stop_signalled = 0;
/* Read and written with atomics: the handlers run on any thread that has the signals unblocked. */
static int ccotyledon_loop_waiting = 0;
static int ccotyledon_may_report = 1;
static int ccotyledon_fast_stop_signal = 0;
static int ccotyledon_fast_stop_sender = 0;
/* When the group kill is armed to fire (CLOCK_MONOTONIC nanoseconds), 0 while it is not. */
static int64_t ccotyledon_group_kill_deadline = 0;

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

/* Ends the worker at once for SIGINT or SIGQUIT: reports an outside sender to the master
 * (once, and only while the master is the parent), kills the group of an orphan, exits 0.
 * Async-signal-safe. */
static void ccotyledon_end_worker(int signal_number, pid_t sender) {
    int has_master = getppid() == ccotyledon_master_pid;
    if (sender != ccotyledon_master_pid && has_master && ccotyledon_worker_claim_outside_report()) {
        unsigned char message[16];
        memcpy(message, ccotyledon_outside_message, (size_t)ccotyledon_outside_length);
        message[1] = (unsigned char)signal_number;
        for (int index = 0; index < 4; index++) {
            message[2 + index] = (unsigned char)((uint32_t)sender >> (8 * index));
        }
        ssize_t written = write(ccotyledon_message_fd, message, (size_t)ccotyledon_outside_length);
        (void)written;
    }
    if (!has_master) {
        kill(0, SIGKILL);
    }
    _exit(0);
}

static void ccotyledon_worker_signal(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
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
    (void)signal_number;
    (void)context;
    if (info == NULL || info->si_code != SI_TIMER) {
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
}

static int ccotyledon_create_backstop_timer(timer_t *timer, int signal_number, int kind) {
    struct sigevent event;
    memset(&event, 0, sizeof(event));
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = signal_number;
    event.sigev_value.sival_int = kind;
    return timer_create(CLOCK_MONOTONIC, &event, timer);
}

int ccotyledon_worker_signals_install(int pipe_fd, int message_fd, pid_t master_pid,
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
    sigemptyset(&action.sa_mask);
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
    return 0;
}

void ccotyledon_worker_set_loop_waiting(int waiting) {
    __atomic_store_n(&ccotyledon_loop_waiting, waiting, __ATOMIC_SEQ_CST);
}

int ccotyledon_worker_claim_outside_report(void) {
    return __atomic_exchange_n(&ccotyledon_may_report, 0, __ATOMIC_SEQ_CST);
}

void ccotyledon_worker_withdraw_outside_report(void) {
    __atomic_store_n(&ccotyledon_may_report, 0, __ATOMIC_SEQ_CST);
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
