/*
 * The physical limit the supervisors are compared with: what a minimal C parent costs to
 * fork, reap and replace children on this machine. Compiled and run by Benchmarks/run.py.
 *
 *   forkbench ITERATIONS WORKERS
 *
 * prints one JSON object with samples in milliseconds:
 *   fork_exit_wait  fork() a child that _exit(0)s at once, waitpid() it
 *   respawn         SIGKILL an idle child, waitpid() it, fork() the replacement, until
 *                   the replacement has written "running" to a pipe
 *   start           fork() WORKERS children, until all of them have written "running"
 *   stop            SIGTERM to each of the WORKERS children, until all are reaped
 * The start and stop samples are single runs; Benchmarks/run.py runs this several times.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void reap(pid_t pid) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

/* A child that says it runs, then blocks until it is killed (its hold pipe never gets data). */
static pid_t fork_idle_child(int ready_write, int hold_read, int ready_read, int hold_write) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        close(ready_read);
        close(hold_write);
        char byte = 'r';
        if (write(ready_write, &byte, 1) != 1) _exit(2);
        char sink;
        while (read(hold_read, &sink, 1) < 0 && errno == EINTR) {}
        _exit(0);
    }
    return pid;
}

static void wait_running(int ready_read, int count) {
    char buffer[4096];
    while (count > 0) {
        ssize_t got = read(ready_read, buffer, count < (int)sizeof buffer ? (size_t)count : sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) { perror("read"); exit(1); }
        count -= (int)got;
    }
}

static void print_samples(const char *name, const double *samples, int count, int last) {
    printf("\"%s\": [", name);
    for (int i = 0; i < count; i++) printf("%s%.4f", i ? ", " : "", samples[i]);
    printf("]%s\n", last ? "" : ",");
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: forkbench ITERATIONS WORKERS\n"); return 64; }
    int iterations = atoi(argv[1]), workers = atoi(argv[2]);
    if (iterations < 1 || workers < 1) { fprintf(stderr, "forkbench: bad counts\n"); return 64; }
    double *fork_exit_wait = calloc(iterations, sizeof(double));
    double *respawn = calloc(iterations, sizeof(double));
    pid_t *children = calloc(workers, sizeof(pid_t));
    int ready[2], hold[2];
    if (pipe(ready) || pipe(hold)) { perror("pipe"); return 1; }

    for (int i = 0; i < iterations; i++) {
        double start = now_ms();
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) _exit(0);
        reap(pid);
        fork_exit_wait[i] = now_ms() - start;
    }

    pid_t current = fork_idle_child(ready[1], hold[0], ready[0], hold[1]);
    wait_running(ready[0], 1);
    for (int i = 0; i < iterations; i++) {
        double start = now_ms();
        kill(current, SIGKILL);
        reap(current);
        current = fork_idle_child(ready[1], hold[0], ready[0], hold[1]);
        wait_running(ready[0], 1);
        respawn[i] = now_ms() - start;
    }
    kill(current, SIGKILL);
    reap(current);

    double start = now_ms();
    for (int i = 0; i < workers; i++) children[i] = fork_idle_child(ready[1], hold[0], ready[0], hold[1]);
    wait_running(ready[0], workers);
    double started = now_ms() - start;

    start = now_ms();
    for (int i = 0; i < workers; i++) kill(children[i], SIGTERM);
    for (int i = 0; i < workers; i++) reap(children[i]);
    double stopped = now_ms() - start;

    printf("{\n");
    print_samples("fork_exit_wait", fork_exit_wait, iterations, 0);
    print_samples("respawn", respawn, iterations, 0);
    print_samples("start", &started, 1, 0);
    print_samples("stop", &stopped, 1, 1);
    printf("}\n");
    return 0;
}
