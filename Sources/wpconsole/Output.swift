import Glibc
import SystemHelpers

/// Where the console writes. Unbuffered `write(2)`s, so replies (standard
/// output) and errors (standard error) appear in the order they were made.
protocol ConsoleOutput: Sendable {
    func write(_ lines: [OutputLine])
}

/// The process's standard output and standard error.
struct StandardOutput: ConsoleOutput {
    func write(_ lines: [OutputLine]) {
        for line in lines {
            Self.write(line.text + "\n", to: line.stream == .out ? STDOUT_FILENO : STDERR_FILENO)
        }
    }

    /// Writes all of `text` to `fd`, retrying short writes and EINTR (a
    /// closed pipe or a full disk ends it: nothing sensible to do then).
    static func write(_ text: String, to fd: Int32) {
        _ = writeAll(fd, text.utf8)
    }
}
