#define _GNU_SOURCE
#include "CShims.h"
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct sched_attr, first version (48 bytes). */
struct wpm_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

int wpm_request_short_slice(pid_t thread, uint64_t nanoseconds) {
#ifdef SYS_sched_setattr
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)thread); /* that thread's */
    if (nice == -1 && errno != 0) return errno;
    struct wpm_sched_attr attr = {0};
    attr.size = sizeof attr;
    attr.sched_policy = SCHED_OTHER;
    attr.sched_nice = nice;
    attr.sched_runtime = nanoseconds;
    return syscall(SYS_sched_setattr, thread, &attr, 0) == 0 ? 0 : errno;
#else
    (void)thread;
    (void)nanoseconds;
    return ENOSYS;
#endif
}

int wpm_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}

int wpm_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int wpm_pidfd_send_signal(int pidfd, int signo) {
#ifdef SYS_pidfd_send_signal
    return syscall(SYS_pidfd_send_signal, pidfd, signo, NULL, 0) == 0 ? 0 : errno;
#else
    (void)pidfd;
    (void)signo;
    return ENOSYS;
#endif
}

int wpm_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0) == 0 ? 0 : errno;
}

int wpm_limit_malloc_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}
