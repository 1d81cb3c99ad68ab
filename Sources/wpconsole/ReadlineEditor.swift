import CReadline
import Dispatch
import Glibc
import Synchronization
import SystemHelpers

/// GNU readline on a terminal: line editing, history kept between runs, Tab
/// completion. Uses readline's callback interface so that it can wait for
/// the terminal and for signals at once: Ctrl-C drops the line being typed
/// (or cancels the command being carried out), a resized window is noticed,
/// and SIGTERM or SIGHUP restore the terminal before the console ends.
///
/// readline is not thread-safe: every call to it happens on `queue`.
final class ReadlineEditor: LineReader, @unchecked Sendable {
    private let queue = DispatchQueue(label: "wpconsole.readline")
    private let history: HistorySettings
    private let signals: ConsoleSignals
    /// Where readline draws: the terminal on standard output, or standard
    /// error when standard output is redirected (so it gets no escapes).
    private let drawFD: Int32

    init?(history: HistorySettings, completion: CompletionState) {
        guard let signals = ConsoleSignals() else { return nil }
        self.signals = signals
        self.history = history
        drawFD = isatty(STDOUT_FILENO) == 1 ? STDOUT_FILENO : STDERR_FILENO
        let drawsOnStandardError = drawFD == STDERR_FILENO
        queue.sync {
            wpc_rl_set_readline_name("wpconsole")  // for `$if wpconsole` in ~/.inputrc
            wpc_rl_set_catch_signals(0)
            wpc_rl_set_change_environment(0)
            if drawsOnStandardError { wpc_rl_set_outstream_stderr() }
            ReadlineCompletion.install(completion)
            Self.loadHistory(history)
        }
    }

    // MARK: LineReader

    func read(prompt: String) async -> LineInput {
        await BlockingInput.run(on: queue) { self.readLine(prompt: prompt) }
    }

    func remember(_ line: String) async {
        await BlockingInput.run(on: queue) { self.addToHistory(line) }
    }

    func whileRunning<T: Sendable>(_ command: Task<T, Never>) async -> T {
        // The queue is idle while a command runs: it watches for signals.
        await signals.cancellingOnInterrupt(command, watchingOn: queue)
    }

    // MARK: reading, on `queue`

    private func readLine(prompt: String) -> LineInput {
        // Signals that came while no line was being read are old news.
        for signal in signals.drain() where signal == SIGTERM || signal == SIGHUP {
            ConsoleSignals.die(of: signal)
        }
        completedLine.withLock { $0 = .waiting }
        rl_callback_handler_install(prompt, lineHandler)
        // The window may have been resized while a command ran.
        rl_reset_screen_size()
        var fds = [
            pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signals.readFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            if retryingOnInterrupt({ poll(&fds, nfds_t(fds.count), -1) }) < 0 {
                rl_callback_handler_remove()
                return .end
            }
            if fds[1].revents != 0 {
                for signal in signals.drain() {
                    switch signal {
                    case SIGINT:
                        // Like a shell: drop the line, show ^C, prompt again.
                        // (^C first: restoring the terminal ends with a
                        // carriage return when bracketed paste is on.)
                        StandardOutput.write("^C\n", to: drawFD)
                        rl_free_line_state()
                        rl_callback_sigcleanup()
                        rl_callback_handler_remove()
                        return .interrupted
                    case SIGTERM, SIGHUP:
                        rl_callback_handler_remove()  // restores the terminal
                        StandardOutput.write("\n", to: drawFD)
                        ConsoleSignals.die(of: signal)
                    case SIGWINCH:
                        rl_resize_terminal()
                    default:
                        break
                    }
                }
            }
            if fds[0].revents != 0 {
                rl_callback_read_char()
                switch completedLine.withLock({ $0 }) {
                case .waiting: continue
                case .line(let line): return .line(line)
                case .end:
                    StandardOutput.write("\n", to: drawFD)  // the shell's prompt on a line of its own
                    return .end
                }
            }
        }
    }

    // MARK: history, on `queue`

    private static func loadHistory(_ settings: HistorySettings) {
        using_history()
        stifle_history(Int32(clamping: max(settings.size, 1)))
        guard let path = settings.path else { return }
        // append_history needs the file to exist; private, like a shell's.
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        _ = read_history(path)
    }

    /// Adds `line` (unless it repeats the previous one) and appends it to the
    /// file at once, so history survives a crash and merges the lines of
    /// consoles running side by side; the file is cut to `size` lines.
    private func addToHistory(_ line: String) {
        guard history.size > 0, !line.allSatisfy(\.isWhitespace) else { return }
        if let last = wpc_history_last_line(), String(cString: last) == line { return }
        add_history(line)
        guard let path = history.path else { return }
        _ = append_history(1, path)
        _ = history_truncate_file(path, Int32(clamping: history.size))
    }
}

/// Where `lineHandler` leaves the line readline completed.
private enum CompletedLine { case waiting, line(String), end }
private let completedLine = Mutex<CompletedLine>(.waiting)

/// readline's line handler, called inside `rl_callback_read_char` when a line
/// is complete: nil at end of input.
private func lineHandler(_ line: UnsafeMutablePointer<CChar>?) {
    let slot: CompletedLine = line.map { .line(String(cString: $0)) } ?? .end
    free(line)
    completedLine.withLock { $0 = slot }
    // No more input for now: readline restores the terminal and does not draw
    // the prompt again until the next line is asked for.
    rl_callback_handler_remove()
}
