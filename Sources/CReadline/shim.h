#ifndef WPM_CREADLINE_SHIM_H
#define WPM_CREADLINE_SHIM_H
#include <stdio.h>
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
   SIGINT, SIGTERM, SIGHUP and SIGWINCH through the signal pipe of
   SystemHelpers, whose handler is in CShims). */
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

#endif
