#define _GNU_SOURCE
#include "CShims.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * wpm_spawn is a vfork-style spawn of its own rather than posix_spawn, which
 * cannot set PR_SET_PDEATHSIG. The child is a clone(CLONE_VM | CLONE_VFORK)
 * of the calling thread: it runs on a small stack of the caller's, in the
 * manager's memory, while the calling thread waits until it has called
 * execve (or exited). So the child only makes system calls (async-signal-safe
 * wrappers, no lock, no allocation) and writes nothing but `error` of its
 * request, which is how an exec failure reaches the caller.
 *
 * The kernel sends the parent-death signal when the *thread* that created
 * the child exits, not only when the manager's process does: wpm_spawn must
 * be called from a thread that lives as long as the workers (the manager's
 * spawner thread, see SpawnQueue).
 */

/* The kernel's sigset_t, for the raw rt_sig* calls: 64 signals on Linux. */
#define KERNEL_SIGSET_BYTES ((_NSIG - 1) / 8)

struct spawn_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    int fds[3];
    pid_t manager;
    /* Set by the child when a step fails: that step's errno. */
    volatile int error;
};

/* Closes every descriptor from 3 up, reading /proc/self/fd with getdents64
   into a buffer on the stack, for kernels before close_range (5.9). */
static int close_from_3_by_listing(void) {
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    char buffer[1024];
    for (;;) {
        long got = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
        if (got < 0) { close(dir); return -1; }
        if (got == 0) break;
        int closed = 0;
        for (long at = 0; at < got;) {
            /* struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name */
            unsigned short length;
            __builtin_memcpy(&length, buffer + at + 16, sizeof length);
            const char *name = buffer + at + 19;
            at += length;
            int fd = 0;
            if (*name < '0' || *name > '9') continue;
            for (; *name >= '0' && *name <= '9'; name++) fd = fd * 10 + (*name - '0');
            if (fd >= 3 && fd != dir) { close(fd); closed = 1; }
        }
        /* Closing while listing may skip entries: list again from the start. */
        if (closed && lseek(dir, 0, SEEK_SET) < 0) { close(dir); return -1; }
    }
    close(dir);
    return 0;
}

static int spawn_child(void *argument) {
    struct spawn_request *request = argument;

    /* Every signal back to its default disposition before any is unblocked:
       no handler of the manager may run here, in its memory. Raw calls, so
       glibc's two internal signals (32, 33) are reset too. All zeros is
       SIG_DFL with no flags and an empty mask in any layout of the kernel's
       struct sigaction. */
    unsigned long default_action[8] = {0};
    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        (void)syscall(SYS_rt_sigaction, sig, default_action, NULL, KERNEL_SIGSET_BYTES);
    }

    /* SIGTERM when the manager (the spawning thread) dies. If it died before
       this call, this child has been reparented already and no signal will
       come: nobody is left to supervise it, so it ends here. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) goto fail;
    if (getppid() != request->manager) {
        request->error = ESRCH;
        _exit(127);
    }

    if (setpgid(0, 0) != 0) goto fail;
    for (int target = 0; target < 3; target++) {
        int fd = request->fds[target];
        if (fd == target) {
            /* dup2 onto itself would keep close-on-exec. */
            if (fcntl(fd, F_SETFD, 0) != 0) goto fail;
        } else if (dup2(fd, target) != target) {
            goto fail;
        }
    }
    if (close_range(3, ~0U, 0) != 0 && close_from_3_by_listing() != 0) goto fail;

    uint64_t none[2] = {0, 0};
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, none, NULL, KERNEL_SIGSET_BYTES) != 0) goto fail;
    execve(request->path, request->argv, request->envp);
fail:
    request->error = errno != 0 ? errno : EINVAL;
    _exit(127);
}

int wpm_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
              int in_fd, int out_fd, int err_fd) {
    struct spawn_request request = {
        .path = path, .argv = argv, .envp = envp,
        .fds = {in_fd, out_fd, err_fd},
        .manager = getpid(),
        .error = 0,
    };
    /* The child's stack: this thread waits while the child runs, and the
       child only makes system calls (the deepest, the /proc listing, needs
       about 1.2 KiB). */
    _Alignas(16) char stack[16384];

    /* Every signal blocked (glibc's internal ones too) from before the clone
       until the child has reset their dispositions; the child inherits this
       thread's mask. */
    uint64_t all[2] = {~UINT64_C(0), ~UINT64_C(0)}, saved[2] = {0, 0};
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, all, saved, KERNEL_SIGSET_BYTES) != 0) return errno;
    pid_t child = clone(spawn_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &request);
    int clone_error = errno;
    (void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, saved, NULL, KERNEL_SIGSET_BYTES);

    if (child < 0) return clone_error;
    int error = request.error;
    if (error != 0) {
        /* It has exited (127): reap it, unless a reaper of the manager has. */
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return error;
    }
    *pid = child;
    return 0;
}
