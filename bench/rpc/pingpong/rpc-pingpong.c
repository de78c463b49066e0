/*
 * Raw Unix-socket ping-pong: the baseline the RPC benchmark is compared with.
 *
 * rpc-pingpong <socket path> <message bytes> <iterations>
 * Forks a server that echoes fixed-size messages over a stream Unix socket; the parent sends
 * one message, waits for the echo, and records each round trip. Prints
 * "p50_us=<x> p99_us=<y>". CPU placement is inherited (run it under taskset).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static int full_io(int fd, char *buf, size_t n, int writing) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = writing ? write(fd, buf + done, n - done) : read(fd, buf + done, n - done);
        if (r <= 0) return -1;
        done += (size_t)r;
    }
    return 0;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s path bytes iterations\n", argv[0]); return 2; }
    const char *path = argv[1];
    size_t size = (size_t)atol(argv[2]);
    long iterations = atol(argv[3]);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    unlink(path);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 1) != 0) { perror("bind"); return 1; }
    pid_t child = fork();
    if (child == 0) {
        int fd = accept(listener, NULL, NULL);
        char *buf = malloc(size);
        while (full_io(fd, buf, size, 0) == 0 && full_io(fd, buf, size, 1) == 0) {}
        _exit(0);
    }
    close(listener);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 1; }
    char *buf = malloc(size);
    memset(buf, 'x', size);
    long warmup = iterations / 10;
    double *samples = malloc(sizeof(double) * (size_t)iterations);
    for (long i = -warmup; i < iterations; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (full_io(fd, buf, size, 1) != 0 || full_io(fd, buf, size, 0) != 0) { perror("io"); return 1; }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (i >= 0) samples[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
    }
    close(fd);
    waitpid(child, NULL, 0);
    unlink(path);
    qsort(samples, (size_t)iterations, sizeof(double), cmp);
    printf("p50_us=%.2f p99_us=%.2f\n", samples[iterations / 2], samples[iterations * 99 / 100]);
    return 0;
}
