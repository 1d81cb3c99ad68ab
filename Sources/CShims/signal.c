#define _GNU_SOURCE
#include "CShims.h"
#include <errno.h>
#include <signal.h>
#include <unistd.h>

static int signal_pipe_fd = -1;

static void wpm_signal_handler(int signo) {
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    /* A full pipe already holds a wake-up: dropping this byte loses nothing
       for SIGCHLD, which is drained with waitpid anyway. */
    (void)!write(signal_pipe_fd, &byte, 1);
    errno = saved;
}

int wpm_install_signal_pipe(int write_fd, const int *signals, int count) {
    signal_pipe_fd = write_fd;
    struct sigaction sa = {0};
    sa.sa_handler = wpm_signal_handler;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &sa, NULL) != 0) return errno;
    }
    /* A parent may have started us with these blocked (Foundation's Process
       passes on its thread's mask): unblock them on this thread, which the
       threads started later inherit. */
    return wpm_unblock_signals(signals, count);
}

int wpm_unblock_signals(const int *signals, int count) {
    sigset_t unblock;
    sigemptyset(&unblock);
    for (int i = 0; i < count; i++) sigaddset(&unblock, signals[i]);
    return pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
}

void wpm_reset_signal(int signo) {
    signal(signo, SIG_DFL);
}

pid_t wpm_peek_exited_child(void) {
    siginfo_t info;
    info.si_pid = 0;
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return -1;
    return info.si_pid;
}

int wpm_child_has_exited(pid_t pid) {
    siginfo_t info;
    info.si_pid = 0;
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return -1;
    return info.si_pid == pid ? 1 : 0;
}
