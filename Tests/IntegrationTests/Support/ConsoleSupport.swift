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
