#define _GNU_SOURCE
#include "CCotyledonLinux.h"
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

extern char **environ;

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
