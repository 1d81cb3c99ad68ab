import ArgumentParser
import CommandLineOptions
import FoundationEssentials
import Glibc
import KeepAlive
import SystemHelpers
import ZeroMQ

extension KeepAliveMessage.Status: ExpressibleByArgument {}

/// `wpkeepalive`: sends one keep-alive to the manager and exits, for workers
/// that cannot speak ZeroMQ themselves (shell scripts).
struct WPKeepAlive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wpkeepalive",
        abstract: "Sends one keep-alive to wpmanager, for workers that cannot speak ZeroMQ themselves.",
        discussion: """
            Run it from a worker each time the worker makes progress. The task name and the \
            endpoint come from the environment wpmanager gives every worker (WPM_TASK_NAME, \
            WPM_KEEPALIVE_ENDPOINT); the pid is by default the one of the process that runs \
            wpkeepalive (its parent: the worker's shell). Give --pid $$ when it runs from a \
            subshell, a pipeline or a command substitution, whose pid is not the worker's.
            Exit status: 0 once the keep-alive is handed to the manager's inbound socket, \
            1 when no manager answered within --timeout, 2 for a usage error.
            """)

    @Option(
        name: .goStyle("task"),
        help: ArgumentHelp("Task name (default: $WPM_TASK_NAME).", valueName: "name"))
    var task: String?

    @Option(
        name: .goStyle("endpoint"),
        help: ArgumentHelp("Manager's inbound endpoint (default: $WPM_KEEPALIVE_ENDPOINT).", valueName: "endpoint"))
    var endpoint: String?

    @Option(
        name: .goStyle("pid"),
        help: ArgumentHelp("Worker pid (default: the parent process, i.e. the worker's shell).", valueName: "pid"))
    var pid: Int32?

    @Option(
        name: .goStyle("status"),
        help: ArgumentHelp("What the worker is doing.", valueName: "ready|working|stopping"))
    var status: KeepAliveMessage.Status?

    @Option(
        name: .goStyle("job"),
        help: ArgumentHelp("Id of the job the worker is busy with.", valueName: "id"))
    var job: String?

    @Option(
        name: .goStyle("message"),
        help: ArgumentHelp("A short free text shown by the console and the API.", valueName: "text"))
    var message: String?

    @Option(
        name: .goStyle("timeout"),
        help: ArgumentHelp("Milliseconds to wait for the manager.", valueName: "ms"))
    var timeout = 2000

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be a positive number of milliseconds") }
        if let pid, pid <= 0 { throw ValidationError("--pid must be a positive process id") }
        if let task, task.isEmpty { throw ValidationError("--task must not be empty") }
        if let endpoint, endpoint.isEmpty { throw ValidationError("--endpoint must not be empty") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let task = task ?? environment[KeepAliveEnvironment.taskName], !task.isEmpty else {
            throw ValidationError(
                "no task name: give --task or set \(KeepAliveEnvironment.taskName) (wpmanager sets it for its workers)")
        }
        guard let endpoint = endpoint ?? environment[KeepAliveEnvironment.endpoint], !endpoint.isEmpty else {
            throw ValidationError(
                "no endpoint: give --endpoint or set \(KeepAliveEnvironment.endpoint) (wpmanager sets it for its workers)"
            )
        }
        let frames = KeepAliveMessage(
            taskName: task, pid: pid ?? getppid(), status: status, job: job, message: message
        ).frames()
        if let largest = frames.map(\.count).max(), largest > KeepAliveMessage.maxFrameSize {
            throw ValidationError(
                "the keep-alive would be \(largest) bytes; the manager drops any above \(KeepAliveMessage.maxFrameSize)")
        }
        try OneShotSender.send(frames, to: endpoint, timeout: .milliseconds(timeout))
    }
}

/// Sends one message so that it is not lost to a slow join: a PUB socket
/// drops everything until the subscriber's subscription has arrived, so this
/// connects an XPUB socket, waits for the manager's subscription, sends, and
/// closes with a linger so the message leaves before the process exits.
enum OneShotSender {
    static func send(_ frames: [[UInt8]], to endpoint: String, timeout: Duration) throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        func remaining() -> Int {
            max(0, Int((deadline - ContinuousClock.now).milliseconds))
        }
        let context = try ZMQContext()
        try withExtendedLifetime(context) {
            let socket = try ZMQSocket(context, .xpub)
            defer { socket.close() }
            if endpoint.contains("[") { try socket.set(ZMQOption.ipv6, Int32(1)) }
            do { try socket.connect(endpoint) } catch {
                throw ValidationError("bad endpoint \(endpoint): \(error)")
            }
            guard try waitForSubscription(socket, topic: frames[0], remaining: remaining) else {
                throw Failure("no manager answered at \(endpoint) within \(timeout.milliseconds) ms")
            }
            try socket.send(frames, wait: false)
            // Closing now would discard the message: let it leave first.
            try socket.set(ZMQOption.linger, Int32(max(remaining(), 200)))
        }
        // The context is released here; libzmq waits (up to the linger) for the message to go out.
    }

    /// Reads what arrives on the XPUB socket until a subscription that covers
    /// `topic` does (the manager subscribes to everything).
    private static func waitForSubscription(
        _ socket: ZMQSocket, topic: [UInt8], remaining: () -> Int
    ) throws -> Bool {
        while true {
            let wait = remaining()
            guard wait > 0 else { return false }
            guard try socket.poll(timeout: wait) else { continue }
            while let message = try socket.receive(wait: false, maxFrames: 1, maxFrameSize: 1024) {
                guard let frame = message.frames.first, frame.first == 1 else { continue }
                if topic.starts(with: frame.dropFirst()) { return true }
            }
        }
    }
}

/// A failure to deliver: exit status 1.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Every error is one line on standard error: `wpkeepalive: PROBLEM`.
/// Usage errors (and missing settings) exit 2, a keep-alive that could not be
/// delivered exits 1.
func main() -> Never {
    do {
        var command = try WPKeepAlive.parseAsRoot()
        try command.run()
        exit(0)
    } catch let failure as Failure {
        fail(failure.description, status: 1)
    } catch let error as ZMQError {
        fail(error.description, status: 1)
    } catch {
        let code = WPKeepAlive.exitCode(for: error)
        if code == .success { WPKeepAlive.exit(withError: error) }  // --help
        let text = WPKeepAlive.message(for: error)
            .split(separator: "\n").first.map(String.init) ?? "\(error)"
        fail(text + " (see wpkeepalive --help)", status: 2)
    }
}

func fail(_ text: String, status: Int32) -> Never {
    var line = "wpkeepalive: \(text)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(status)
}

main()
