/// One console command, parsed and checked (SPEC §5): what the operator asked
/// for, with every argument it needs.
enum Command: Equatable, Sendable {
    /// `open|connect HOST[:PORT][,HOST[:PORT]...]`
    case open([HostAddress])
    /// `ls|list`
    case list
    /// `st|status [TASK]`
    case status(task: String?)
    /// `start [TASK]`: TASK, or every autostart task that is not running.
    case start(task: String?)
    /// `stop [TASK]`
    case stop(task: String?)
    /// `set TASK cardinality N`
    case set(task: String, setting: Setting, value: Int)
    /// `restart [TASK]`: a rolling restart of TASK, or of every running task.
    case restart(task: String?)
    /// `reload`: the manager re-reads its config file.
    case reload
    /// `signal TASK SIG`: SIG to every worker of TASK.
    case signal(task: String, signal: String)
    /// `pause TASK` / `resume TASK`.
    case pause(task: String)
    case resume(task: String)
    /// `lw|listworkers TASK`
    case listWorkers(task: String)
    /// `watch [TASK]`
    case watch(task: String?)
    /// `tail [-f] [-n N] TASK...`
    case tail(tasks: [String], lines: Int, follow: Bool)
    /// `top`
    case top
    /// `check [TASK]`
    case check(task: String?)
    /// `help|h [COMMAND]`
    case help(topic: CommandName?)
    /// `quit|exit`
    case quit
}

extension Command {
    /// `watch`, `tail -f` and `top` go on until Ctrl-C (or `q`).
    var lastsUntilInterrupted: Bool {
        switch self {
        case .watch, .top: true
        case .tail(_, _, let follow): follow
        default: false
        }
    }
}

/// What `set` can change. The manager knows only one setting.
enum Setting: String, Equatable, Sendable, CaseIterable {
    case cardinality
}

/// The commands by name: every spelling (the Go console's aliases), usage and
/// a one-line summary. The parser, the completer and `help` all read this.
enum CommandName: String, CaseIterable, Sendable {
    case open, list, status, start, stop, restart, reload, set, signal, pause, resume, listWorkers, watch, tail, top, check, help, quit

    /// Every spelling that names this command, the usual one first.
    var spellings: [String] {
        switch self {
        case .open: ["open", "connect"]
        case .list: ["ls", "list"]
        case .status: ["status", "st"]
        case .start: ["start"]
        case .stop: ["stop"]
        case .restart: ["restart"]
        case .reload: ["reload"]
        case .set: ["set"]
        case .signal: ["signal"]
        case .pause: ["pause"]
        case .resume: ["resume"]
        case .listWorkers: ["lw", "listworkers"]
        case .watch: ["watch"]
        case .tail: ["tail"]
        case .top: ["top"]
        case .check: ["check"]
        case .help: ["help", "h"]
        case .quit: ["quit", "exit"]
        }
    }

    /// The arguments, as `help` and the error messages show them.
    var arguments: String {
        switch self {
        case .open: "HOST[:PORT][,HOST[:PORT]...]"
        case .list, .quit, .reload, .top: ""
        case .tail: "[-f] [-n N] TASK..."
        case .status, .start, .stop, .watch, .restart, .check: "[TASK]"
        case .listWorkers, .pause, .resume: "TASK"
        case .signal: "TASK SIG"
        case .set: "TASK cardinality N"
        case .help: "[COMMAND]"
        }
    }

    var usage: String {
        let names = spellings.joined(separator: "|")
        return arguments.isEmpty ? names : names + " " + arguments
    }

    var summary: String {
        switch self {
        case .open: "connect to one manager, or to several (each command then goes to all of them)"
        case .list: "list the names of all tasks"
        case .status: "show the status of every running task, or of TASK"
        case .start: "start TASK, or every autostart task that is not running"
        case .stop: "stop every task, or TASK"
        case .restart: "replace every worker of TASK (or of every running task, one after another), new ones first"
        case .reload: "make the manager re-read its config file and apply what changed"
        case .set: "change the number of workers of TASK"
        case .signal:
            "send SIG (a name, with or without SIG: USR1, SIGHUP...) to every worker of TASK; "
                + "STOP and CONT are pause and resume"
        case .pause: "freeze every worker of TASK (SIGSTOP) and hold its stall and startup deadlines"
        case .resume: "thaw the workers of a paused TASK (SIGCONT); their deadlines count from now"
        case .listWorkers: "list the workers of TASK"
        case .watch: "follow the lifecycle events of every task, or of TASK, until Ctrl-C"
        case .tail:
            "show the last N (default 10, at most 1000) output lines of each TASK's workers, "
                + "as [TASK PID] line; with -f go on with new lines until Ctrl-C"
        case .top:
            "full screen, every second: each worker's pid, age, CPU %, memory, keep-alive age, status "
                + "and job; keys c (sort by CPU), m (memory), p (pid), q (quit)"
        case .check: "check that the manager is ready (every running task, or TASK); fails when not"
        case .help: "show this help, or the help of COMMAND"
        case .quit: "leave the console (so does Ctrl-D)"
        }
    }

    /// Every spelling of every command, sorted: what Tab completes first.
    static let allSpellings: [String] = allCases.flatMap(\.spellings).sorted()

    /// The command a word names (case does not matter), if any.
    init?(spelling: String) {
        let word = spelling.lowercased()
        guard let name = Self.allCases.first(where: { $0.spellings.contains(word) }) else { return nil }
        self = name
    }
}
