/*
 * wpexec: the exec helper of wpmanager (chain-loading, as s6 and runit do).
 * wpmanager posix_spawns it, in the worker's process group, directory,
 * environment and stdio, when a task needs what posix_spawn cannot set; it
 * sets that and execve's the worker, which keeps its pid:
 *
 *   wpexec [-r RESOURCE:SOFT:HARD]... [-n NICE] [-o OOM_SCORE_ADJ] [-m UMASK (octal)]
 *          [-G GID,...] [-g GID] [-u UID] [-p SIGNAL:PPID] -- PATH ARGV0 ARGS...
 *
 * Applied in this order: limits, nice and oom_score_adj while still
 * privileged, the umask, then groups, group and user, then the parent-death
 * signal (a change of credentials clears it) and a check that the manager
 * (PPID) is still its parent. A failure is reported on descriptor 3 (a pipe
 * the manager reads; close-on-exec, so a successful execve closes it) as
 * two ints, the failed step and errno, then the helper exits 127. Only
 * system calls and async-signal-safe functions: nothing is allocated.
 * The step numbers are mirrored in wpm's Swift sources (ExecHelper.describe).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    STEP_USAGE = 1,
    STEP_NICE = 3,
    STEP_OOM_SCORE_ADJ = 4,
    STEP_SETGROUPS = 5,
    STEP_SETGID = 6,
    STEP_SETUID = 7,
    STEP_PDEATHSIG = 8,
    STEP_MANAGER_GONE = 9,
    STEP_EXEC = 10,
    /* A resource limit: this plus the RLIMIT_ number. */
    STEP_RLIMIT = 100,
};

#define MAX_GROUPS 1024

static void fail(int step, int error) {
    int message[2] = {step, error};
    ssize_t ignored = write(3, message, sizeof message);
    (void)ignored;
    _exit(127);
}

/* A decimal number, with an optional '-'; `text` moves past it. */
static long long number(const char **text) {
    const char *p = *text;
    int negative = 0;
    if (*p == '-') { negative = 1; p++; }
    if (*p < '0' || *p > '9') fail(STEP_USAGE, EINVAL);
    unsigned long long value = 0;
    for (; *p >= '0' && *p <= '9'; p++) value = value * 10 + (unsigned long long)(*p - '0');
    *text = p;
    return negative ? -(long long)value : (long long)value;
}

static unsigned long long unsigned_number(const char **text) {
    const char *p = *text;
    if (*p < '0' || *p > '9') fail(STEP_USAGE, EINVAL);
    unsigned long long value = 0;
    for (; *p >= '0' && *p <= '9'; p++) value = value * 10 + (unsigned long long)(*p - '0');
    *text = p;
    return value;
}

static unsigned long long octal_number(const char **text) {
    const char *p = *text;
    if (*p < '0' || *p > '7') fail(STEP_USAGE, EINVAL);
    unsigned long long value = 0;
    for (; *p >= '0' && *p <= '7'; p++) value = value * 8 + (unsigned long long)(*p - '0');
    *text = p;
    return value;
}

static void expect(const char **text, char c) {
    if (**text != c) fail(STEP_USAGE, EINVAL);
    (*text)++;
}

int main(int argc, char **argv) {
    extern char **environ;
    int have_nice = 0, have_oom = 0, have_umask = 0, have_gid = 0, have_uid = 0, have_groups = 0, have_pdeath = 0;
    long long nice_value = 0, oom = 0;
    unsigned long long mask = 0, gid = 0, uid = 0, pdeath_signal = 0, manager = 0;
    gid_t groups[MAX_GROUPS];
    size_t group_count = 0;

    int at = 1;
    for (; at < argc; at++) {
        const char *option = argv[at];
        if (strcmp(option, "--") == 0) { at++; break; }
        if (option[0] != '-' || option[1] == '\0' || option[2] != '\0' || at + 1 >= argc) fail(STEP_USAGE, EINVAL);
        const char *value = argv[++at];
        switch (option[1]) {
        case 'r': {
            int resource = (int)unsigned_number(&value);
            expect(&value, ':');
            struct rlimit limit;
            limit.rlim_cur = (rlim_t)unsigned_number(&value);
            expect(&value, ':');
            limit.rlim_max = (rlim_t)unsigned_number(&value);
            expect(&value, '\0');
            if (setrlimit(resource, &limit) != 0) fail(STEP_RLIMIT + resource, errno);
            break;
        }
        case 'n': nice_value = number(&value); have_nice = 1; expect(&value, '\0'); break;
        case 'o': oom = number(&value); have_oom = 1; expect(&value, '\0'); break;
        case 'm': mask = octal_number(&value); have_umask = 1; expect(&value, '\0'); break;
        case 'g': gid = unsigned_number(&value); have_gid = 1; expect(&value, '\0'); break;
        case 'u': uid = unsigned_number(&value); have_uid = 1; expect(&value, '\0'); break;
        case 'G':
            have_groups = 1;
            for (;;) {
                if (group_count == MAX_GROUPS) fail(STEP_SETGROUPS, EINVAL);
                groups[group_count++] = (gid_t)unsigned_number(&value);
                if (*value == '\0') break;
                expect(&value, ',');
            }
            break;
        case 'p':
            pdeath_signal = unsigned_number(&value);
            expect(&value, ':');
            manager = unsigned_number(&value);
            expect(&value, '\0');
            have_pdeath = 1;
            break;
        default: fail(STEP_USAGE, EINVAL);
        }
    }
    if (at >= argc - 1) fail(STEP_USAGE, EINVAL);
    const char *path = argv[at];
    char **worker_argv = argv + at + 1;

    if (have_nice && setpriority(PRIO_PROCESS, 0, (int)nice_value) != 0) fail(STEP_NICE, errno);
    if (have_oom) {
        char text[24];
        int length = 0;
        long long v = oom < 0 ? -oom : oom;
        char digits[24];
        int n = 0;
        do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
        if (oom < 0) text[length++] = '-';
        while (n > 0) text[length++] = digits[--n];
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0) fail(STEP_OOM_SCORE_ADJ, errno);
        if (write(fd, text, (size_t)length) != length) fail(STEP_OOM_SCORE_ADJ, errno);
        close(fd);
    }
    if (have_umask) umask((mode_t)mask);
    if (have_groups && setgroups(group_count, groups) != 0) fail(STEP_SETGROUPS, errno);
    if (have_gid && setgid((gid_t)gid) != 0) fail(STEP_SETGID, errno);
    if (have_uid && setuid((uid_t)uid) != 0) fail(STEP_SETUID, errno);
    if (have_pdeath) {
        if (prctl(PR_SET_PDEATHSIG, (unsigned long)pdeath_signal) != 0) fail(STEP_PDEATHSIG, errno);
        /* The manager died before the signal was set: nobody is left to
           supervise the worker, so it never starts. */
        if ((unsigned long long)getppid() != manager) fail(STEP_MANAGER_GONE, ESRCH);
    }
    if (fcntl(3, F_SETFD, FD_CLOEXEC) != 0) fail(STEP_USAGE, errno);
    execve(path, worker_argv, environ);
    fail(STEP_EXEC, errno);
    return 127;
}
