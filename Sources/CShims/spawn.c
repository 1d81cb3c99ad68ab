#define _GNU_SOURCE
#include "CShims.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>

/*
 * wpm_spawn starts a worker with glibc's posix_spawn (a CLONE_VFORK child:
 * the calling thread waits until it has called execve, and an exec failure
 * comes back as the return value).
 *
 * Through the exec helper (wpexec), the helper is what posix_spawn runs: it
 * applies what posix_spawn cannot set and execve's the worker, keeping the
 * pid. It reports a failure as two ints (the failed step and its errno) on
 * descriptor 3, the write end of a close-on-exec pipe: end of file without
 * a report means the worker's execve succeeded.
 */
int wpm_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
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
    if (rc == 0 && through_helper) {
        close(report[1]);
        report[1] = -1;
        int message[2] = {0, 0};
        ssize_t got;
        do got = read(report[0], message, sizeof message); while (got < 0 && errno == EINTR);
        if (got == (ssize_t)sizeof message) {
            /* The helper has exited (127): reap it, unless a reaper of the
               manager has. */
            while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
            *failed_step = message[0];
            rc = message[1] != 0 ? message[1] : EINVAL;
        }
    }
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
