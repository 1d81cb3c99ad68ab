/// The outcome of one request per manager, in the order of the addresses.
typealias Outcomes = [(host: HostAddress, outcome: ManagerOutcome)]

/// A console session: the managers it talks to, and how each command is
/// carried out and shown. An actor, so a command can run in a task of its
/// own that Ctrl-C cancels.
actor Console {
    /// How a command went.
    enum Result: Equatable {
        case ok
        /// A manager answered with an error, could not be reached, or the
        /// line was refused.
        case failed
        case quit
    }

    private(set) var hosts: [HostAddress]
    let client: ManagerClient
    let output: any ConsoleOutput
    /// Set when Tab completion is in use: task names are then fetched at
    /// start, on `open` and after `start` and `stop`.
    private let completion: CompletionState?

    init(hosts: [HostAddress], client: ManagerClient, output: any ConsoleOutput, completion: CompletionState? = nil) {
        self.hosts = hosts
        self.client = client
        self.output = output
        self.completion = completion
        completion?.update { $0.hosts = hosts }
    }

    /// Several managers: every reply line is prefixed with its address.
    var isFleet: Bool { hosts.count > 1 }

    /// `localhost:8010> `, or the list of addresses.
    var prompt: String { hosts.map(\.description).joined(separator: ",") + "> " }

    /// Parses and runs one input line; blank lines do nothing.
    func run(line: String) async -> Result {
        do {
            guard let command = try CommandParser.parse(line) else { return .ok }
            return await run(command)
        } catch {
            output.write([.err("error: \(error)")])
            return .failed
        }
    }

    func run(_ command: Command) async -> Result {
        switch command {
        case .quit:
            return .quit
        case .help(let topic):
            output.write(Help.lines(topic).map(OutputLine.out))
            return .ok
        case .open(let addresses):
            return await open(addresses)
        case .watch(let task):
            return await watch(task)
        case .tail(let tasks, let lines, let follow):
            return await tail(tasks: tasks, lines: lines, follow: follow)
        case .top:
            return await top()
        default:
            guard let request = command.request else { return .ok }
            let outcomes = await send(request, to: hosts)
            if Task.isCancelled { return interrupted() }
            if case .check = command {
                output.write(outcomes.flatMap { ReplyFormatter.readiness($0.outcome, from: $0.host, prefixed: isFleet) })
            } else {
                show(outcomes)
            }
            switch command {
            case .list: learnTaskNames(outcomes)
            case .start, .stop, .reload: await refreshTaskNames()
            default: break
            }
            return outcomes.allSatisfy { $0.outcome.succeeded } ? .ok : .failed
        }
    }

    /// The interactive greeting: who answers, and their task names for Tab.
    func greet() async {
        let outcomes = await send(.list, to: hosts)
        learnTaskNames(outcomes)
        var lines: [OutputLine] = []
        let answering = outcomes.filter { $0.outcome.succeeded }
        if !answering.isEmpty {
            lines.append(.out("connected to " + describe(answering)))
        }
        lines += failures(outcomes)
        lines.append(.out("type \"help\" for the commands"))
        output.write(lines)
    }

    // MARK: open

    /// Switches to `addresses` if at least one manager answers there;
    /// otherwise says so and stays where it was.
    private func open(_ addresses: [HostAddress]) async -> Result {
        let outcomes = await send(.list, to: addresses)
        if Task.isCancelled { return interrupted() }
        let answering = outcomes.filter { $0.outcome.succeeded }
        guard !answering.isEmpty else {
            var lines = failures(outcomes)
            lines.append(.err("still connected to " + hosts.map(\.description).joined(separator: ",")))
            output.write(lines)
            return .failed
        }
        hosts = addresses
        completion?.update { $0.hosts = addresses }
        learnTaskNames(outcomes)
        output.write([.out("connected to " + describe(answering))] + failures(outcomes))
        return answering.count == outcomes.count ? .ok : .failed
    }

    /// `a:8010 (3 tasks), b:8010 (1 task)`
    private func describe(_ answering: Outcomes) -> String {
        answering.map { host, outcome in
            let count = outcome.bodyLines.filter { !$0.isEmpty }.count
            return "\(host) (\(count) task\(count == 1 ? "" : "s"))"
        }.joined(separator: ", ")
    }

    /// Error lines for the managers that did not answer `GET /list` properly.
    private func failures(_ outcomes: Outcomes) -> [OutputLine] {
        outcomes.filter { !$0.outcome.succeeded }.flatMap { host, outcome in
            switch outcome {
            case .unreachable(let reason):
                return [OutputLine.err(ReplyFormatter.unreachable(host, reason, prefixed: false))]
            case .reply:
                // Something answers, but not as a manager does.
                return ReplyFormatter.lines(outcome, from: host, prefixed: true)
            }
        }
    }

    // MARK: watch

    /// Follows the event stream of every manager, one line per event, until
    /// Ctrl-C (the normal end: `.ok`) or until no stream is left. A manager
    /// that refuses, cannot be reached or ends its stream is said so at once.
    private func watch(_ task: String?) async -> Result {
        let path = Command.eventsPath(task: task)
        let what = task.map { "events of \($0)" } ?? "events of every task"
        return await followAll(
            hosts.map { host in
                FollowedStream(
                    host: host, path: path, opened: "watching \(what) (Ctrl-C to stop)",
                    ended: "error: the manager ended the event stream",
                    line: { data, prefix in .out(prefix + EventLine.format(data)) })
            }, stopped: "stopped watching")
    }

    // MARK: requests

    /// Sends `request` to every address at once; the outcomes in address order.
    private func send(_ request: ManagerRequest, to addresses: [HostAddress]) async -> Outcomes {
        if addresses.count == 1 {
            return [(addresses[0], await client.send(request, to: addresses[0]))]
        }
        let client = self.client
        return await withTaskGroup(of: (Int, ManagerOutcome).self) { group in
            for (index, host) in addresses.enumerated() {
                group.addTask { (index, await client.send(request, to: host)) }
            }
            var outcomes = [ManagerOutcome?](repeating: nil, count: addresses.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return zip(addresses, outcomes).map { ($0, $1 ?? .unreachable(reason: "no reply")) }
        }
    }

    /// Ctrl-C while the managers were being asked: their replies, if any
    /// come, are not shown.
    private func interrupted() -> Result {
        output.write([.err("interrupted")])
        return .failed
    }

    private func show(_ outcomes: Outcomes) {
        output.write(outcomes.flatMap { ReplyFormatter.lines($0.outcome, from: $0.host, prefixed: isFleet) })
    }

    // MARK: task names for Tab

    private func refreshTaskNames() async {
        guard completion != nil else { return }
        learnTaskNames(await send(.list, to: hosts))
    }

    /// Remembers the task names in `GET /list` replies (merged over managers).
    private func learnTaskNames(_ outcomes: Outcomes) {
        guard let completion else { return }
        let answering = outcomes.filter { $0.outcome.succeeded }
        guard !answering.isEmpty else { return }
        let names = Set(answering.flatMap { $0.outcome.bodyLines.filter { !$0.isEmpty } })
        completion.update { $0.taskNames = names.sorted() }
    }
}
