/* A worker for the stall benchmark: announces itself, then waits; on SIGTERM
   it writes the monotonic time it got the signal and exits. Both lines go to
   the file named by $STALL_BENCH_EVENTS (O_APPEND, one write each: atomic).
   $STALL_BENCH_MODE (the peers workload): `crash` exits 1 right after its
   start note; `ignore-term` ignores SIGTERM (only SIGKILL ends it). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int out = -1;

static void note(const char *what) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    char line[96];
    int n = snprintf(line, sizeof line, "%s %d %lld\n", what, (int)getpid(),
                     (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
    (void)!write(out, line, (size_t)n);
}

static void on_term(int sig) {
    (void)sig;
    note("term");
    _exit(0);
}

int main(void) {
    const char *path = getenv("STALL_BENCH_EVENTS");
    if (!path) return 2;
    out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (out < 0) return 2;
    const char *mode = getenv("STALL_BENCH_MODE");
    if (mode && strcmp(mode, "ignore-term") == 0) {
        signal(SIGTERM, SIG_IGN);
    } else {
        signal(SIGTERM, on_term);
    }
    note("start");
    if (mode && strcmp(mode, "crash") == 0) return 1;
    for (;;) pause();
}
