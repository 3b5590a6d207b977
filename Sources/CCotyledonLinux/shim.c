#define _GNU_SOURCE
#include "CCotyledonLinux.h"
#include <stdio.h>

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
