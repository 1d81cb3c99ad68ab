import CShims

/// How a worker process ended, decoded from a `waitpid` status.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(code: Int32)
    case signaled(signal: Int32, coreDumped: Bool)

    public init(waitStatus status: Int32) {
        if wpm_wifsignaled(status) != 0 {
            self = .signaled(signal: wpm_wtermsig(status), coreDumped: wpm_wcoredump(status) != 0)
        } else {
            self = .exited(code: wpm_wexitstatus(status))
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal, let core):
            "killed by signal \(signal) (\(SignalName.of(signal)))" + (core ? ", core dumped" : "")
        }
    }
}

/// Signal numbers to their usual names, for messages.
public enum SignalName {
    static let names: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
        9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
        17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG",
        24: "SIGXCPU", 25: "SIGXFSZ", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR",
    ]

    public static func of(_ signal: Int32) -> String { names[signal] ?? "signal \(signal)" }
}
