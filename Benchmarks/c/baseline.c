/* The bare baseline of wpm-bench: what the machine can do without a manager.
   `baseline N WORKER [ARG...]` posix_spawns N copies of WORKER with the same
   hygiene as wpmanager (own process group, empty signal mask, default
   signal dispositions, stdio on /dev/null, every other fd closed), prints
   "spawned T0 T1" (CLOCK_MONOTONIC ns before the first and after the last
   posix_spawn), then reaps and replaces any worker that exits. On SIGTERM
   or SIGINT it sends SIGTERM to every worker's process group, reaps them
   all, prints "stopped T0 T1" and exits 0; with $BASELINE_GRACE_MS set, it
   sends SIGKILL to the groups left after that many ms. It dies with its parent
   (PR_SET_PDEATHSIG), taking its workers with it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t stop_requested = 0;
static pid_t *workers;
static int count;
static char **worker_argv;
static int dev_null;

static long long now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static pid_t spawn_one(void) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) (void)sigaddset(&defaults, sig);
    }
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawn_file_actions_adddup2(&actions, dev_null, 0);
    posix_spawn_file_actions_adddup2(&actions, dev_null, 1);
    posix_spawn_file_actions_adddup2(&actions, dev_null, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, worker_argv[0], &actions, &attr, worker_argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "baseline: posix_spawn %s: error %d\n", worker_argv[0], rc);
        return -1;
    }
    return pid;
}

static void on_grace_over(int sig) {
    (void)sig;
    for (int i = 0; i < count; i++) {
        if (workers[i] > 0) kill(-workers[i], SIGKILL);
    }
}

static void stop_all(void) {
    long long t0 = now_ns();
    for (int i = 0; i < count; i++) {
        if (workers[i] > 0) kill(-workers[i], SIGTERM);
    }
    const char *grace = getenv("BASELINE_GRACE_MS");
    if (grace) {
        long ms = atol(grace);
        struct sigaction sa = {0};
        sa.sa_handler = on_grace_over;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, NULL);
        struct itimerval timer = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
        setitimer(ITIMER_REAL, &timer, NULL);
    }
    for (;;) {
        pid_t pid = waitpid(-1, NULL, 0);
        if (pid < 0 && errno == ECHILD) break;
    }
    printf("stopped %lld %lld\n", t0, now_ns());
    fflush(stdout);
    exit(0);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: baseline N WORKER [ARG...]\n");
        return 2;
    }
    count = atoi(argv[1]);
    worker_argv = argv + 2;
    workers = calloc((size_t)count, sizeof(pid_t));
    dev_null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (!workers || dev_null < 0) return 2;

    /* A parent may start us with signals blocked; stop when it dies. */
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_stop; /* no SA_RESTART: waitpid returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) return 2;

    long long t0 = now_ns();
    for (int i = 0; i < count; i++) workers[i] = spawn_one();
    printf("spawned %lld %lld\n", t0, now_ns());
    fflush(stdout);

    while (!stop_requested) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid <= 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < count; i++) {
            if (workers[i] == pid) {
                workers[i] = stop_requested ? 0 : spawn_one();
                break;
            }
        }
    }
    stop_all();
    return 0;
}
