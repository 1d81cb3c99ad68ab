#define _GNU_SOURCE
#include "CShims.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Two ways to start a worker, with the same result (the hygiene of
 * wpm_spawn in CShims.h):
 *
 * spawn_sharing_table, the one used: a CLONE_VM | CLONE_VFORK child, as
 * glibc's posix_spawn makes, that also shares the manager's descriptor
 * table (CLONE_FILES) and whose first act is close_range(KEEP, ~0,
 * CLOSE_RANGE_UNSHARE): the kernel gives it a table of its own holding
 * only the descriptors below KEEP (a handful). posix_spawn's child gets a
 * copy of the whole table instead and closes every descriptor in it (or
 * exec does, for close-on-exec ones), each close a few cache misses: with
 * one output pipe per worker held by the manager, that made every spawn
 * cost grow with the number of workers (about 20 ms a spawn with 10 000
 * descriptors open on the development machine, against 2.5 ms with none;
 * the sharing child 2.8 ms).
 *
 * The descriptors the child needs (stdin, stdout, stderr, the helper's
 * report pipe) are first put into low "slots": descriptors reserved for
 * this (they hold /dev/null between spawns, so no other thread is ever
 * given those numbers), under one lock, and put back right after the child
 * has exec'd (which also closes the manager's copies of what was there).
 *
 * spawn_posix: glibc's posix_spawn, when the kernel refuses
 * CLOSE_RANGE_UNSHARE (before Linux 5.9) or the slots cannot be made.
 *
 * Either way the child is a CLONE_VFORK one: the calling thread waits until
 * it has called execve, and an exec failure comes back as the return value.
 * Through the exec helper (wpexec), the helper is what is exec'd: it
 * applies what the spawn cannot set and execve's the worker, keeping the
 * pid. It reports a failure as two ints (the failed step and its errno) on
 * descriptor 3, the write end of a close-on-exec pipe: end of file without
 * a report means the worker's execve succeeded.
 */

/* After the helper was started: its report pipe ends at its exec of the
   worker (nothing read, 0), or carries the step that failed and the errno
   (returned; the helper has exited 127 and is reaped here, unless a reaper
   of the manager has). Closes the write end the manager held. */
static int helper_report(pid_t child, int report[2], int *failed_step) {
    close(report[1]);
    report[1] = -1;
    int message[2] = {0, 0};
    ssize_t got;
    do got = read(report[0], message, sizeof message); while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof message) return 0;
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
    *failed_step = message[0];
    return message[1] != 0 ? message[1] : EINVAL;
}

static int spawn_posix(pid_t *pid, const char *path, char *const argv[], char *const envp[],
              int in_fd, int out_fd, int err_fd, const char *cwd, int through_helper, int *failed_step) {
    *failed_step = 0;
    int report[2] = {-1, -1};
    if (through_helper && pipe2(report, O_CLOEXEC) != 0) return errno;

    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    int rc = posix_spawnattr_init(&attr);
    if (rc != 0) goto close_report;
    rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) goto destroy_attr;

    /* Every signal back to its default disposition: all bits set, not
       sigfillset, which leaves out glibc's two internal signals (32, 33),
       and posix_spawn would leave those ignored. */
    sigset_t none, every;
    sigemptyset(&none);
    memset(&every, 0xff, sizeof every);
    if ((rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) ||
        (rc = posix_spawnattr_setpgroup(&attr, 0)) ||
        (rc = posix_spawnattr_setsigmask(&attr, &none)) ||
        (rc = posix_spawnattr_setsigdefault(&attr, &every)))
        goto destroy_actions;

    /* dup2 onto itself clears close-on-exec (glibc, as POSIX asks). */
    if ((rc = posix_spawn_file_actions_adddup2(&actions, in_fd, 0)) ||
        (rc = posix_spawn_file_actions_adddup2(&actions, out_fd, 1)) ||
        (rc = posix_spawn_file_actions_adddup2(&actions, err_fd, 2)))
        goto destroy_actions;
    if (cwd != NULL && (rc = posix_spawn_file_actions_addchdir_np(&actions, cwd))) goto destroy_actions;
    if (through_helper) {
        if ((rc = posix_spawn_file_actions_adddup2(&actions, report[1], 3)) ||
            (rc = posix_spawn_file_actions_addclosefrom_np(&actions, 4)))
            goto destroy_actions;
    } else if ((rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3))) {
        goto destroy_actions;
    }

    pid_t child = 0;
    rc = posix_spawn(&child, path, &actions, &attr, argv, envp);
    if (rc == 0 && through_helper) rc = helper_report(child, report, failed_step);
    if (rc == 0) *pid = child;

destroy_actions:
    posix_spawn_file_actions_destroy(&actions);
destroy_attr:
    posix_spawnattr_destroy(&attr);
close_report:
    if (report[0] >= 0) close(report[0]);
    if (report[1] >= 0) close(report[1]);
    return rc;
}

enum { SLOT_IN, SLOT_OUT, SLOT_ERR, SLOT_REPORT, SLOTS };

/* Guarded by slots_lock. */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static int slots[SLOTS] = {-1, -1, -1, -1};
static int placeholder = -1;
/* Set once the kernel refused CLOSE_RANGE_UNSHARE: posix_spawn from then on. */
static volatile int sharing_refused = 0;

/* Makes the slots at first use: the lowest free numbers from 4 up (the
   child moves them onto 0-3, so none may be one of those). */
static int make_slots(void) {
    if (placeholder >= 0) return 0;
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return errno;
    for (int i = 0; i < SLOTS; i++) {
        slots[i] = fcntl(null_fd, F_DUPFD_CLOEXEC, 4);
        if (slots[i] < 0) {
            int error = errno;
            for (int j = 0; j < i; j++) close(slots[j]), slots[j] = -1;
            close(null_fd);
            return error;
        }
    }
    placeholder = null_fd;
    return 0;
}

struct child_args {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int through_helper;
    /* Descriptors below it are copied into the child's own table. */
    int keep;
    /* Written by the child when it fails before exec. */
    int error;
    int unshare_refused;
};

/* The kernel's struct sigaction for rt_sigaction (glibc's sigaction
   refuses its own internal signals 32 and 33). */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

/* dup2 that also clears close-on-exec when `from` already is `to`. */
static int move_fd(int from, int to) {
    if (from == to) return fcntl(to, F_SETFD, 0);
    return dup2(from, to) < 0 ? -1 : 0;
}

/* Runs in the child, on its own stack, in the manager's memory: only
   system calls, no allocation, no locks. Every signal is blocked on entry. */
static int sharing_child(void *argument) {
    struct child_args *args = argument;
    if (syscall(SYS_close_range, (unsigned)args->keep, ~0U, CLOSE_RANGE_UNSHARE) != 0) {
        args->unshare_refused = 1;
        goto fail;
    }
    struct kernel_sigaction dfl = {SIG_DFL, 0, NULL, 0};
    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, NULL, _NSIG / 8);
    }
    if (setpgid(0, 0) != 0) goto fail;
    if (args->cwd != NULL && chdir(args->cwd) != 0) goto fail;
    if (move_fd(slots[SLOT_IN], 0) != 0 || move_fd(slots[SLOT_OUT], 1) != 0 || move_fd(slots[SLOT_ERR], 2) != 0)
        goto fail;
    if (args->through_helper && move_fd(slots[SLOT_REPORT], 3) != 0) goto fail;
    if (syscall(SYS_close_range, args->through_helper ? 4U : 3U, ~0U, 0) != 0) goto fail;
    sigset_t none;
    sigemptyset(&none);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);
    execve(args->path, args->argv, args->envp);
fail:
    args->error = errno != 0 ? errno : EINVAL;
    _exit(127);
}

/* Returned when nothing was started and posix_spawn is to be used. */
#define NOT_STARTED (-1)

/* Starts the child; NOT_STARTED when the kernel refused to unshare.
   Called with slots_lock held and the slots filled. */
static int clone_sharing(pid_t *pid, struct child_args *args) {
    const size_t stack_size = 64 * 1024;
    char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return errno;
    /* No handler of the manager may run in the child: every signal
       blocked until the child has reset them (it inherits the mask). */
    sigset_t all, old;
    memset(&all, 0xff, sizeof all);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
    args->error = 0;
    args->unshare_refused = 0;
    pid_t child = clone(sharing_child, stack + stack_size, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, args);
    int rc = child < 0 ? errno : args->error;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
    munmap(stack, stack_size);
    if (child > 0 && rc != 0) {
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        if (args->unshare_refused) rc = NOT_STARTED;
    }
    if (rc == 0) *pid = child;
    return rc;
}

/* NOT_STARTED: use posix_spawn. */
static int spawn_sharing_table(pid_t *pid, const char *path, char *const argv[], char *const envp[], int in_fd,
                               int out_fd, int err_fd, const char *cwd, int through_helper, int *failed_step) {
    int report[2] = {-1, -1};
    if (through_helper && pipe2(report, O_CLOEXEC) != 0) return errno;
    pthread_mutex_lock(&slots_lock);
    int rc = make_slots();
    if (rc != 0) {
        pthread_mutex_unlock(&slots_lock);
        if (report[0] >= 0) close(report[0]), close(report[1]);
        return NOT_STARTED;
    }
    int wanted[SLOTS] = {in_fd, out_fd, err_fd, report[1]};
    int keep = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i] + 1 > keep) keep = slots[i] + 1;
        if (wanted[i] >= 0 && rc == 0 && dup3(wanted[i], slots[i], O_CLOEXEC) < 0) rc = errno;
    }
    pid_t child = 0;
    if (rc == 0) {
        struct child_args args = {path, argv, envp, cwd, through_helper, keep, 0, 0};
        rc = clone_sharing(&child, &args);
    }
    /* Back to /dev/null: the manager keeps no copy of the worker's ends. */
    for (int i = 0; i < SLOTS; i++) {
        while (dup3(placeholder, slots[i], O_CLOEXEC) < 0 && errno == EINTR) {}
    }
    pthread_mutex_unlock(&slots_lock);
    if (rc == NOT_STARTED) {
        sharing_refused = 1;
        if (report[0] >= 0) close(report[0]), close(report[1]);
        return NOT_STARTED;
    }
    if (rc == 0 && through_helper) rc = helper_report(child, report, failed_step);
    if (rc == 0) *pid = child;
    if (report[0] >= 0) close(report[0]);
    if (report[1] >= 0) close(report[1]);
    return rc;
}

int wpm_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
              int in_fd, int out_fd, int err_fd, const char *cwd, int through_helper, int *failed_step) {
    *failed_step = 0;
    if (!sharing_refused) {
        int rc = spawn_sharing_table(pid, path, argv, envp, in_fd, out_fd, err_fd, cwd, through_helper, failed_step);
        if (rc != NOT_STARTED) return rc;
    }
    return spawn_posix(pid, path, argv, envp, in_fd, out_fd, err_fd, cwd, through_helper, failed_step);
}
