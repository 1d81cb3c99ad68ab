import Glibc
import Synchronization

/// The terminal in the mode `top` needs: keys come one at a time without
/// echo (Ctrl-C still sends SIGINT), the alternate screen, no cursor. Every
/// way out restores what was there: `restore()` at the end, and
/// `restoreIfActive()` from `ConsoleSignals.die` on SIGTERM and SIGHUP.
final class RawTerminal: Sendable {
    /// Whether the screen was switched, and the settings to put back.
    private static let saved = Mutex<(active: Bool, settings: termios?)>((false, nil))
    static let enter = "\u{1B}[?1049h\u{1B}[?25l"
    static let leave = "\u{1B}[?25h\u{1B}[?1049l"

    /// Nil when standard output is not a terminal. Keys are read only when
    /// standard input is one too (`readsKeys`).
    let readsKeys: Bool

    init?() {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var settings = termios()
        readsKeys = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &settings) == 0
        let keep = readsKeys ? settings : nil
        Self.saved.withLock { $0 = (true, keep) }
        if readsKeys {
            var raw = settings
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
            withUnsafeMutableBytes(of: &raw.c_cc) { cc in
                cc[Int(VMIN)] = 0
                cc[Int(VTIME)] = 0
            }
            _ = tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        }
        StandardOutput.write(Self.enter, to: STDOUT_FILENO)
    }

    /// Shows `lines` from the top left corner, clearing what was there.
    func draw(_ lines: [String]) {
        StandardOutput.write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J", to: STDOUT_FILENO)
    }

    /// Columns and rows (80 x 24 when the terminal does not say).
    var size: (width: Int, height: Int) {
        var window = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 else {
            return (80, 24)
        }
        return (Int(window.ws_col), Int(window.ws_row))
    }

    /// The keys typed within `timeout` milliseconds (returns at the first).
    func keys(within timeout: Int32) -> [UInt8] {
        guard readsKeys else {
            usleep(useconds_t(timeout) * 1000)
            return []
        }
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)]
        guard poll(&fds, 1, timeout) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        return count > 0 ? Array(buffer[..<count]) : []
    }

    func restore() { Self.restoreIfActive() }

    /// Puts the terminal back as it was, if `top` had changed it.
    static func restoreIfActive() {
        let state = saved.withLock { saved in
            defer { saved = (false, nil) }
            return saved
        }
        guard state.active else { return }
        if var settings = state.settings { _ = tcsetattr(STDIN_FILENO, TCSANOW, &settings) }
        StandardOutput.write(leave, to: STDOUT_FILENO)
    }
}
