#ifndef WPM_CSHIMS_H
#define WPM_CSHIMS_H

#include <sys/types.h>
#include <sys/wait.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdint.h>

/// Spawns `path` (no PATH search, no shell) with a vfork-like child that
/// shares the descriptor table only until it has a table of its own with
/// the few descriptors it needs (glibc's posix_spawn when the kernel cannot:
/// before Linux 5.9; see spawn.c), in a
/// new process group (pgid = its pid), with an empty signal mask, every
/// signal reset to its default disposition (glibc's internal 32 and 33
/// included), stdin from `in_fd`, stdout/stderr onto `out_fd` and `err_fd`,
/// `cwd` as its directory when not NULL, and every other descriptor closed.
/// With `through_helper`, `path` is the exec helper (wpexec): it gets a
/// report pipe on descriptor 3, and the call waits until the helper has
/// exec'd the worker or reported a failure. Returns 0 or an errno value;
/// `failed_step` is 0 when the spawn itself failed (exec failures such as
/// ENOENT, EACCES or ENOEXEC are reported here), else the helper's step
/// (`wpexec_step`); a failed helper is reaped.
int wpm_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
              int in_fd, int out_fd, int err_fd, const char *cwd, int through_helper, int *failed_step);

/// Installs one handler for every signal in `signals` that writes the signal
/// number as one byte to `write_fd` (a non-blocking pipe), and unblocks them
/// on the calling thread. Returns 0 or errno. The manager's and the
/// console's signal pipe (SystemHelpers, `SignalPipe`); one per process.
int wpm_install_signal_pipe(int write_fd, const int *signals, int count);

/// Unblocks `signals` on the calling thread. Returns 0 or errno.
int wpm_unblock_signals(const int *signals, int count);

/// The pid of a child that has exited and is waiting to be reaped, without
/// reaping it (waitid with WNOWAIT); 0 when there is none, -1 on error.
pid_t wpm_peek_exited_child(void);

/// 1 when the child `pid` has exited and waits to be reaped (not reaping
/// it), 0 when it has not, -1 on error (not a child). Looks at that one
/// child: `wpm_peek_exited_child` walks the list of every child.
int wpm_child_has_exited(pid_t pid);

/// Asks the scheduler for a short time slice for `thread` (a thread id of
/// this process, 0 for the calling thread; an
/// unprivileged request, honoured by Linux 6.12+ with EEVDF and ignored
/// before): woken up, the thread preempts a busy CPU sooner, so deadlines
/// are met on a loaded machine. Keeps the policy (SCHED_OTHER) and the nice
/// value. Returns 0 or errno.
int wpm_request_short_slice(pid_t thread, uint64_t nanoseconds);

/// At most `arenas` malloc arenas for the process (glibc's M_ARENA_MAX), for
/// arenas made from now on. Returns 1 on success, 0 otherwise.
int wpm_limit_malloc_arenas(int arenas);

/// Names the calling thread (PR_SET_NAME: the first 15 bytes are kept), as
/// `ps -L` and /proc/self/task/N/comm show it. Returns 0 or errno.
int wpm_set_thread_name(const char *name);

/// Makes this process the reaper of its orphaned descendants
/// (PR_SET_CHILD_SUBREAPER), as PID 1 is. Returns 0 or errno.
int wpm_become_subreaper(void);

/// A pidfd for `pid` (close-on-exec), or -1 with errno set. A pidfd keeps
/// naming the process it was opened for even once its pid is reused.
int wpm_pidfd_open(pid_t pid);

/// Sends `signo` (0 only checks) to the process of `pidfd`. Returns 0 or
/// errno (ESRCH once it has exited).
int wpm_pidfd_send_signal(int pidfd, int signo);

/// Restores the default disposition of `signo`.
void wpm_reset_signal(int signo);

static inline int wpm_wifexited(int status) { return WIFEXITED(status); }
static inline int wpm_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int wpm_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int wpm_wtermsig(int status) { return WTERMSIG(status); }
static inline int wpm_wcoredump(int status) { return WCOREDUMP(status); }

#endif
