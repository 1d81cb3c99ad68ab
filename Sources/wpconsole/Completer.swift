import Synchronization

/// What Tab offers (pure): command names first, then, depending on the
/// command, task names, `cardinality` after `set TASK`, command names after
/// `help`, the current addresses after `open`.
struct Completer: Sendable {
    /// Task names of the connected managers (all of them, merged).
    var taskNames: [String] = []
    /// The addresses the console is connected to.
    var hosts: [HostAddress] = []

    /// The candidates for `word`, the word being completed, when `before` is
    /// the text of the line in front of it. Sorted, without duplicates.
    func candidates(before: String, word: String) -> [String] {
        let previous = CommandParser.words(of: before)
        let pool: [String]
        if previous.isEmpty {
            pool = CommandName.allSpellings
        } else if let name = CommandName(spelling: previous[0]) {
            pool = arguments(of: name, position: previous.count - 1, previous: previous)
        } else {
            pool = []
        }
        return Array(Set(pool.filter { $0.hasPrefix(word) })).sorted()
    }

    /// Candidates for the argument at `position` (0: the first) of `name`.
    private func arguments(of name: CommandName, position: Int, previous: [String]) -> [String] {
        switch (name, position) {
        case (.status, 0), (.start, 0), (.stop, 0), (.listWorkers, 0), (.set, 0), (.watch, 0), (.restart, 0), (.tail, _), (.check, 0),
            (.signal, 0), (.pause, 0), (.resume, 0):
            return taskNames
        case (.set, 1):
            return Setting.allCases.map(\.rawValue)
        case (.signal, 1):
            return Completer.signalNames
        case (.help, 0):
            return CommandName.allSpellings
        case (.open, _):
            let typed = Set(previous.dropFirst())
            return ([HostAddress.default] + hosts).map(\.description).filter { !typed.contains($0) }
        default:
            return []
        }
    }
}

extension Completer {
    /// What `signal TASK` completes (the manager's list: PoolSignal.allowed).
    static let signalNames = [
        "HUP", "INT", "QUIT", "ABRT", "KILL", "USR1", "USR2", "ALRM", "TERM", "WINCH", "TSTP", "TTIN", "TTOU", "URG", "IO",
        "PWR", "PIPE",
    ]
}

/// The completer's state, shared between the console (which refreshes the
/// task names) and the line editor's thread (which reads them on Tab).
final class CompletionState: Sendable {
    private let completer = Mutex(Completer())

    var snapshot: Completer { completer.withLock { $0 } }

    func update(_ change: (inout Completer) -> Void) {
        completer.withLock { change(&$0) }
    }
}
