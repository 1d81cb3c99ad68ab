import Dispatch
import Foundation
import Testing

/// The `wpconsole` binary, beside `wpmanager`.
let consoleBinary = buildDirectory + "/wpconsole"

/// The environment of every console the tests start: the workspace's tag (so
/// `Manager.finish()` sees a console left running), a scratch HOME and
/// history file, and a proxy that answers nothing: the console must reach
/// managers directly, whatever the proxy variables say.
func consoleEnvironment(_ workspace: Workspace, _ extra: [String: String] = [:]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["WPMTEST_TAG"] = workspace.tag
    environment["HOME"] = workspace.path
    environment["WPCONSOLE_HISTORY"] = workspace.path + "/history"
    for proxy in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
        environment[proxy] = "http://127.0.0.1:9"
    }
    environment["no_proxy"] = nil
    environment["NO_PROXY"] = nil
    return environment.merging(extra) { $1 }
}

/// How a console run ended.
struct ConsoleRun {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `wpconsole arguments` with `input` on standard input (a pipe, closed
/// after it; /dev/null when nil), and waits for it to exit.
func runConsole(
    _ arguments: [String], input: String? = nil, workspace: Workspace, environment extra: [String: String] = [:],
    timeout: Duration = .seconds(60)
) async throws -> ConsoleRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: consoleBinary)
    process.arguments = arguments
    process.environment = consoleEnvironment(workspace, extra)
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let inputPipe = input.map { _ in Pipe() }
    process.standardInput = inputPipe ?? FileHandle.nullDevice
    try process.run()
    if let inputPipe, let input {
        inputPipe.fileHandleForWriting.write(Data(input.utf8))
        try inputPipe.fileHandleForWriting.close()
    }
    // Blocking reads on dispatch threads, not on the test's concurrency pool.
    async let stdout = readToEnd(out.fileHandleForReading)
    async let stderr = readToEnd(err.fileHandleForReading)
    let exited = await eventually(timeout: timeout, every: .milliseconds(20)) { !process.isRunning }
    if !exited {
        kill(process.processIdentifier, SIGKILL)
        throw HarnessError("wpconsole \(arguments) did not exit within \(timeout)")
    }
    return ConsoleRun(status: process.terminationStatus, stdout: await stdout, stderr: await stderr)
}

private func readToEnd(_ handle: FileHandle) async -> String {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let data = (try? handle.readToEnd()) ?? Data()
            continuation.resume(returning: String(decoding: data, as: UTF8.self))
        }
    }
}

/// A port on 127.0.0.1 where nothing listens (picked by the OS, then freed).
func unusedPort() throws -> Int {
    let listener = try SilentListener()
    let port = listener.port
    listener.close()
    return port
}

/// A TCP socket on 127.0.0.1 that listens but never accepts: connections
/// complete (the kernel's backlog) and no reply ever comes.
final class SilentListener: @unchecked Sendable {
    private var fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                bind(fd, sockaddr, length) == 0 && listen(fd, 16) == 0
                    && getsockname(fd, sockaddr, &length) == 0
            }
        }
        guard bound else {
            _ = Glibc.close(fd)
            throw HarnessError("bind/listen: \(errno)")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}

/// A wpconsole in a real terminal: a tmux server of its own (its own socket),
/// driven with send-keys and read with capture-pane. `stop()` kills the
/// server and checks that nothing of it is left.
final class ConsoleTerminal: @unchecked Sendable {
    let socket = "wpc-\(UUID().uuidString.prefix(8))"
    let workspace: Workspace
    private let configFile: String
    private(set) var serverPid: pid_t = 0

    /// Starts `wpconsole arguments` in a 150×50 window.
    init(_ arguments: [String], workspace: Workspace, environment extra: [String: String] = [:]) async throws {
        self.workspace = workspace
        configFile = workspace.path + "/tmux-\(socket).conf"
        // The pane stays after the console exits, so its exit status can be read.
        let config = "set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\n"
        _ = FileManager.default.createFile(atPath: configFile, contents: Data(config.utf8))
        let environment = consoleEnvironment(workspace, extra)
        var command = ["-f", configFile, "new-session", "-d", "-s", "console", "-x", "150", "-y", "50"]
        for key in ["WPMTEST_TAG", "HOME", "WPCONSOLE_HISTORY", "WPCONSOLE_HISTORY_SIZE", "http_proxy", "HTTP_PROXY"] {
            if let value = environment[key] { command += ["-e", "\(key)=\(value)"] }
        }
        command.append(launch(arguments))
        try tmux(command)
        serverPid = pid_t(try tmux(["display-message", "-p", "#{pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// How many consoles this terminal started; each one's exit line names it.
    private var launches = 0

    /// A shell command that runs the console and then shows how it ended:
    /// `[wpconsole #N exited with status S]` (tmux's own pane_dead_status is
    /// lost after respawn-pane).
    private func launch(_ arguments: [String]) -> String {
        launches += 1
        let console = ([consoleBinary] + arguments).map(Self.quoted).joined(separator: " ")
        return "\(console); echo \"[wpconsole #\(launches) exited with status $?]\""
    }

    private static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Runs `tmux -L SOCKET arguments`; its standard output.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil  // tests run inside tmux too, sometimes
        environment["WPMTEST_TAG"] = workspace.tag
        let (status, output) = try CleanSpawn.run(["tmux", "-L", socket] + arguments, environment: environment)
        guard status == 0 else { throw HarnessError("tmux \(arguments) exited with \(status)") }
        return output
    }

    /// Types `text` as it is (no key names).
    func type(_ text: String) throws { try tmux(["send-keys", "-t", "console", "-l", text]) }

    /// Presses keys by name: `Tab`, `Enter`, `Up`, `C-c`, `C-d`, `C-u`.
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", "console"] + keys) }

    /// The whole pane, scrollback included, trailing blank lines dropped.
    func screen() throws -> String {
        try tmux(["capture-pane", "-p", "-J", "-t", "console", "-S", "-"])
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            .joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    /// The line the cursor is on (where the prompt and the typed text are).
    func cursorLine() throws -> String {
        let y = Int(try tmux(["display-message", "-p", "-t", "console", "#{cursor_y}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let visible = try tmux(["capture-pane", "-p", "-t", "console"]).split(separator: "\n", omittingEmptySubsequences: false)
        return y < visible.count ? String(visible[y]) : ""
    }

    /// Waits until `condition` holds for the screen; records an issue with the
    /// screen when it never does.
    @discardableResult
    func waitFor(
        _ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (String) -> Bool
    ) async throws -> Bool {
        var last = ""
        let held = await eventually(timeout: timeout) {
            last = (try? screen()) ?? ""
            return condition(last)
        }
        #expect(held, "never: \(what)\n--- screen ---\n\(last)\n---", sourceLocation: sourceLocation)
        return held
    }

    /// Waits until the cursor line is exactly `text` (trailing spaces aside).
    @discardableResult
    func waitForCursorLine(
        _ text: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Bool {
        var last = ""
        let held = await eventually(timeout: timeout) {
            last = ((try? cursorLine()) ?? "").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            return last == text
        }
        #expect(held, "cursor line never \"\(text)\", last \"\(last)\"\n\((try? screen()) ?? "")", sourceLocation: sourceLocation)
        return held
    }

    /// The exit status of the console started last, once it has exited.
    func exitStatus(timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int32? {
        let marker = "[wpconsole #\(launches) exited with status "
        var status: Int32?
        var last = ""
        _ = await eventually(timeout: timeout) {
            last = (try? screen()) ?? ""
            if let range = last.range(of: marker) {
                status = Int32(last[range.upperBound...].prefix { $0.isNumber })
            }
            return status != nil
        }
        if status == nil { Issue.record("the console did not exit\n\(last)", sourceLocation: sourceLocation) }
        return status
    }

    /// Starts another console in the same pane, once the last one has exited.
    func respawn(_ arguments: [String]) throws {
        try tmux(["respawn-pane", "-k", "-t", "console", launch(arguments)])
    }

    /// Kills the tmux server and everything in it, and checks that none of it
    /// (the server, a console) is left running.
    func stop() async {
        _ = try? tmux(["kill-server"])
        let gone = await eventually(timeout: .seconds(20)) {
            (serverPid == 0 || !ProcessTable.isAlive(serverPid))
                && workspace.liveProcesses().allSatisfy { ProcessTable.commandName($0) != "wpconsole" }
        }
        #expect(gone, "tmux server \(serverPid) or a wpconsole outlived kill-server")
        if serverPid != 0, ProcessTable.isAlive(serverPid) { kill(serverPid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: configFile)
    }
}

extension ProcessTable {
    /// The command name of `pid` (`comm`), "" when gone.
    static func commandName(_ pid: pid_t) -> String {
        ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs `body` with a console in a terminal, and always stops it.
func withConsoleTerminal(
    _ arguments: [String], workspace: Workspace, environment: [String: String] = [:],
    _ body: (ConsoleTerminal) async throws -> Void
) async throws {
    let terminal = try await ConsoleTerminal(arguments, workspace: workspace, environment: environment)
    do {
        try await body(terminal)
    } catch {
        await terminal.stop()
        throw error
    }
    await terminal.stop()
}

/// Runs a program to completion with an empty signal mask and every signal
/// at its default action. Foundation's `Process` passes on the blocked mask
/// of the thread that starts it (a dispatch worker blocks nearly every
/// signal): a tmux server started that way never sees SIGCHLD, and neither
/// Ctrl-C nor kill-server reach what runs in it.
enum CleanSpawn {
    /// Exit status (or 128 + signal) and standard output (through a file,
    /// since a daemon such as the tmux server may keep a pipe open forever).
    static func run(_ argv: [String], environment: [String: String]) throws -> (Int32, String) {
        let outputFile = NSTemporaryDirectory() + "wpc-spawn-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputFile) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard spawned == 0 else { throw HarnessError("cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw HarnessError("waitpid \(pid): \(errno)") }
        }
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS by hand (macros Swift does not import).
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, output)
    }
}
