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

static int ccotyledon_signal_pipe = -1;
static volatile sig_atomic_t ccotyledon_stop_signalled = 0;

static void ccotyledon_forward_signal(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
    if (signal_number == SIGTERM || signal_number == SIGINT || signal_number == SIGQUIT) {
        ccotyledon_stop_signalled = 1;
    }
    struct ccotyledon_signal_record record = { signal_number, info == NULL ? 0 : info->si_pid };
    ssize_t written = write(ccotyledon_signal_pipe, &record, sizeof(record));
    (void)written;
    errno = saved_errno;
}

int ccotyledon_forward_signals_to_pipe(int fd, const int *signals, int count) {
    ccotyledon_signal_pipe = fd;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = ccotyledon_forward_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_SIGINFO;
    for (int index = 0; index < count; index++) {
        if (sigaction(signals[index], &action, NULL) != 0) {
            return -1;
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
