import CShims
import FoundationEssentials
import Glibc
import KeepAlive
import SystemPackage

/// Starts worker processes (see `wpm_spawn` for the process hygiene and the
/// parent-death signal) and hands their output to an `OutputRouter`.
///
/// Each worker gets SIGTERM when the thread that spawned it exits: call
/// `spawn` only from a thread that outlives the workers (`SpawnQueue`'s).
public final class Spawner: Sendable {
    private let devNull: FileDescriptor
    let output: OutputRouter
    private let baseEnvironment: [String]

    /// `environment` is added to the manager's own for every worker (after
    /// any `WPM_` variable the manager itself was given is removed).
    public init(output: OutputRouter, environment: [String: String] = [:]) throws {
        self.devNull = try FileDescriptor.open("/dev/null", .readWrite, options: [.closeOnExec])
        self.output = output
        self.baseEnvironment =
            ProcessInfo.processInfo.environment
            .filter { !$0.key.hasPrefix(WorkerEnvironment.prefix) }
            .merging(environment) { _, new in new }
            .map { "\($0.key)=\($0.value)" }
    }

    deinit {
        try? devNull.close()
    }

    /// Starts one worker of `spec`; throws `Errno` when it cannot be started.
    public func spawn(_ spec: TaskSpec) throws(Errno) -> pid_t {
        let pipe = output.wants(spec) ? try FileDescriptor.pipe(options: .closeOnExec) : nil
        let out = pipe?.writeEnd.rawValue ?? devNull.rawValue
        let argv = [spec.command] + spec.args
        let envp = baseEnvironment + WorkerEnvironment.variables(for: spec)
        var pid: pid_t = 0
        let rc = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in
                wpm_spawn(&pid, spec.command, cArgv, cEnvp, devNull.rawValue, out, out)
            }
        }
        if let pipe {
            try? pipe.writeEnd.close()
            if rc == 0 {
                output.follow(pipe.readEnd, spec: spec, pid: pid)
            } else {
                try? pipe.readEnd.close()
            }
        }
        guard rc == 0 else { throw Errno(rawValue: rc) }
        return pid
    }
}

/// The variables every worker finds in its environment (see `KeepAliveEnvironment`).
enum WorkerEnvironment {
    static let prefix = "WPM_"

    static func variables(for spec: TaskSpec) -> [String] {
        ["\(KeepAliveEnvironment.taskName)=\(spec.name)"]
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
