/// Why a console line was refused: one line, saying what is wrong and, where
/// it helps, the usage of the command.
struct CommandError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Turns a console line into a `Command` (SPEC §5). Pure: no I/O, so the unit
/// tests drive it line by line. Words are separated by any amount of
/// whitespace; command names and `cardinality` are matched without regard to
/// case, task names exactly.
enum CommandParser {
    /// The command on `line`, or nil for a blank line.
    static func parse(_ line: String) throws(CommandError) -> Command? {
        try parse(words: words(of: line))
    }

    /// The whitespace-separated words of `line`.
    static func words(of line: String) -> [String] {
        line.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// The command named by `words` (as a one-shot command line gives them).
    static func parse(words: [String]) throws(CommandError) -> Command? {
        guard let first = words.first else { return nil }
        guard let name = CommandName(spelling: first) else { throw unknownCommand(first) }
        let line = Arguments(typed: first.lowercased(), name: name, values: Array(words.dropFirst()))
        let values = line.values

        switch name {
        case .open:
            guard !values.isEmpty else { throw line.missing("HOST[:PORT]") }
            do {
                return .open(try HostAddress.parseList(values.joined(separator: " ")))
            } catch {
                throw CommandError("\(line.typed): \(error)")
            }
        case .list:
            try line.atMost(0)
            return .list
        case .status:
            try line.atMost(1)
            return .status(task: values.first)
        case .start:
            try line.atMost(1)
            return .start(task: values.first)
        case .signal:
            guard let task = values.first else { throw line.missing("TASK and SIG") }
            guard values.count >= 2 else { throw line.missing("SIG, a signal name such as USR1") }
            try line.atMost(2)
            return .signal(task: task, signal: values[1])
        case .pause, .resume:
            guard let task = values.first else { throw line.missing("TASK") }
            try line.atMost(1)
            return name == .pause ? .pause(task: task) : .resume(task: task)
        case .stop:
            try line.atMost(1)
            return .stop(task: values.first)
        case .restart:
            try line.atMost(1)
            return .restart(task: values.first)
        case .reload:
            try line.atMost(0)
            return .reload
        case .listWorkers:
            guard let task = values.first else { throw line.missing("TASK") }
            try line.atMost(1)
            return .listWorkers(task: task)
        case .watch:
            try line.atMost(1)
            return .watch(task: values.first)
        case .check:
            try line.atMost(1)
            return .check(task: values.first)
        case .set:
            return try parseSet(line)
        case .tail:
            return try parseTail(line)
        case .top:
            try line.atMost(0)
            return .top
        case .help:
            try line.atMost(1)
            guard let topic = values.first else { return .help(topic: nil) }
            guard let topicName = CommandName(spelling: topic) else { throw unknownCommand(topic) }
            return .help(topic: topicName)
        case .quit:
            try line.atMost(0)
            return .quit
        }
    }

    /// The words after the command name, and the messages about them.
    private struct Arguments {
        /// The command as the operator spelled it, for the messages.
        let typed: String
        let name: CommandName
        let values: [String]

        func missing(_ what: String) -> CommandError {
            CommandError("\(typed): missing \(what) (usage: \(name.usage))")
        }

        func atMost(_ count: Int) throws(CommandError) {
            guard values.count > count else { return }
            let extra = values[count...].map { "\"\($0)\"" }.joined(separator: " ")
            throw CommandError("\(typed): unexpected \(extra) (usage: \(name.usage))")
        }
    }

    /// `set TASK cardinality N`.
    private static func parseSet(_ line: Arguments) throws(CommandError) -> Command {
        let values = line.values
        guard values.count >= 1 else { throw line.missing("TASK, the setting (cardinality) and N") }
        guard values.count >= 2 else { throw line.missing("the setting (cardinality) and N") }
        let task = values[0]
        if values.count == 2, values[1].allSatisfy({ $0.isASCII && $0.isNumber }) {
            // `set Good 3`: the Go syntax names the setting first.
            throw line.missing("\"cardinality\" before \(values[1])")
        }
        guard let setting = Setting(rawValue: values[1].lowercased()) else {
            let settings = Setting.allCases.map(\.rawValue)
            let hint =
                Suggestion.closest(to: values[1], among: settings).map { "did you mean \"\($0)\"?" }
                ?? "the only one is cardinality"
            throw CommandError("\(line.typed): unknown setting \"\(values[1])\" (\(hint))")
        }
        guard values.count >= 3 else { throw line.missing("N, the number of workers") }
        try line.atMost(3)
        let text = values[2]
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw CommandError("\(line.typed): N must be a whole number, 0 or more, got \"\(text)\"")
        }
        guard let value = Int(text) else {
            throw CommandError("\(line.typed): N is too large: \"\(text)\"")
        }
        return .set(task: task, setting: setting, value: value)
    }

    /// `tail [-f] [-n N] TASK...`: the options may come anywhere before `--`.
    static let tailDefaultLines = 10
    static let tailMaxLines = 1000

    private static func parseTail(_ line: Arguments) throws(CommandError) -> Command {
        var tasks: [String] = []
        var lines = tailDefaultLines
        var follow = false
        var values = line.values[...]
        var options = true
        while let value = values.popFirst() {
            guard options, value.hasPrefix("-"), value.count > 1 else {
                tasks.append(value)
                continue
            }
            switch value {
            case "--":
                options = false
            case "-f", "--follow":
                follow = true
            case "-n", "--lines":
                guard let count = values.popFirst() else { throw line.missing("N after \(value)") }
                guard count.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(count), n <= tailMaxLines else {
                    throw CommandError(
                        "\(line.typed): N must be a whole number from 0 to \(tailMaxLines), got \"\(count)\"")
                }
                lines = n
            default:
                throw CommandError("\(line.typed): unknown option \"\(value)\" (usage: \(line.name.usage))")
            }
        }
        guard !tasks.isEmpty else { throw line.missing("TASK") }
        return .tail(tasks: tasks, lines: lines, follow: follow)
    }

    static func unknownCommand(_ word: String) -> CommandError {
        if let suggestion = Suggestion.closest(to: word, among: CommandName.allSpellings) {
            return CommandError("unknown command \"\(word)\" (did you mean \"\(suggestion)\"?)")
        }
        return CommandError("unknown command \"\(word)\" (type \"help\" for the list of commands)")
    }
}
