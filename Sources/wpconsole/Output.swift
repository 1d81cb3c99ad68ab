import Glibc

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

    /// Writes all of `text` to `fd`, retrying short writes and EINTR.
    static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written > 0 {
                bytes = bytes.dropFirst(written)
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return  // closed pipe or full disk: nothing sensible to do
            }
        }
    }
}
