#ifndef WPM_CREADLINE_SHIM_H
#define WPM_CREADLINE_SHIM_H
#include <stdio.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>

/* Swift 6 refuses readline's mutable globals (they are shared mutable
   state): every one wpconsole touches goes through an accessor here. They are
   only ever called on the line editor's own thread. */

static inline void wpc_rl_set_readline_name(const char *name) { rl_readline_name = name; }
static inline void wpc_rl_set_attempted_completion_function(rl_completion_func_t *function) {
    rl_attempted_completion_function = function;
}
static inline void wpc_rl_set_attempted_completion_over(int over) { rl_attempted_completion_over = over; }
static inline void wpc_rl_set_completion_append_character(int character) {
    rl_completion_append_character = character;
}
static inline void wpc_rl_set_completer_word_break_characters(const char *characters) {
    rl_completer_word_break_characters = characters;
}
/* 0: readline installs no signal handlers of its own (wpconsole handles
   SIGINT, SIGTERM, SIGHUP and SIGWINCH through its signal pipe). */
static inline void wpc_rl_set_catch_signals(int on) {
    rl_catch_signals = on;
    rl_catch_sigwinch = on;
}
/* 0: readline leaves LINES and COLUMNS in the environment alone. */
static inline void wpc_rl_set_change_environment(int on) { rl_change_environment = on; }
static inline const char *wpc_rl_line_buffer(void) { return rl_line_buffer; }
static inline void wpc_rl_set_outstream_stderr(void) { rl_outstream = stderr; }
/* The newest history entry, NULL when there is none. */
static inline const char *wpc_history_last_line(void) {
    HIST_ENTRY *entry = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    return entry ? entry->line : NULL;
}

/* The signal pipe: a handler that only writes the signal number to a
   non-blocking pipe, which the line editor polls beside standard input. */
static int wpc_signal_pipe_fd = -1;

static inline void wpc_signal_to_pipe(int signal_number) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal_number;
    if (wpc_signal_pipe_fd >= 0) {
        ssize_t ignored = write(wpc_signal_pipe_fd, &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

/* Routes `signal_number` to `write_fd` (the write end of the pipe). */
static inline int wpc_route_signal_to_pipe(int signal_number, int write_fd) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    wpc_signal_pipe_fd = write_fd;
    action.sa_handler = wpc_signal_to_pipe;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    return sigaction(signal_number, &action, NULL);
}

/* Unblocks SIGINT, SIGTERM, SIGHUP and SIGWINCH in the calling thread: a
   parent may have left them blocked (a thread's mask is inherited across
   exec), and the console must see Ctrl-C. Call from the main thread first. */
static inline int wpc_unblock_console_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGWINCH);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* Restores the default action of `signal_number`. */
static inline int wpc_default_signal(int signal_number) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    return sigaction(signal_number, &action, NULL);
}

#endif
