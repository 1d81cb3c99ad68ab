import Glibc

/// The signals `POST /tasks/NAME/signal/SIG` sends to a pool, by name
/// (`USR1` or `SIGUSR1`, any case). STOP and CONT are left to pause and
/// resume, which also hold the task's deadlines.
public enum PoolSignal {
    public static let allowed: [(name: String, number: Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ABRT", SIGABRT), ("KILL", SIGKILL), ("USR1", SIGUSR1),
        ("USR2", SIGUSR2), ("ALRM", SIGALRM), ("TERM", SIGTERM), ("WINCH", SIGWINCH), ("TSTP", SIGTSTP), ("TTIN", SIGTTIN),
        ("TTOU", SIGTTOU), ("URG", SIGURG), ("IO", SIGIO), ("PWR", SIGPWR), ("PIPE", SIGPIPE),
    ]

    /// The signal number of `text`, or why it is refused.
    public static func parse(_ text: String) throws(ControlError) -> Int32 {
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        if name == "STOP" || name == "CONT" {
            let instead = name == "STOP" ? "pause" : "resume"
            throw .badValue(
                setting: "signal", value: text,
                allowed: "SIG\(name) is not sent this way: use POST /tasks/NAME/\(instead) (console: \(instead) TASK), which also holds the task's deadlines")
        }
        guard let number = allowed.first(where: { $0.name == name })?.number else {
            throw .badValue(
                setting: "signal", value: text,
                allowed: "must be a signal name, with or without SIG: " + allowed.map(\.name).joined(separator: ", "))
        }
        return number
    }

    public static func name(_ number: Int32) -> String {
        "SIG" + (allowed.first { $0.number == number }?.name ?? String(number))
    }
}
