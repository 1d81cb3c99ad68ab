import CShims
import FoundationEssentials
import Glibc
import KeepAlive
import SystemPackage

/// Starts worker processes with `wpm_spawn` (a vfork-like child, as glibc's
/// `posix_spawn` makes, that copies only the few descriptors it needs: a
/// spawn costs the same whatever number of workers' pipes the manager
/// holds; see CShims' spawn.c and `wpm_spawn` for the process hygiene),
/// through the exec helper for a task whose settings need it
/// (`LaunchSettings.needsHelper`), and hands their output to an `OutputRouter`.
///
/// The parent-death signal fires when the *thread* that spawned a worker
/// exits: call `spawn` only from a thread that outlives the workers
/// (`SpawnQueue`'s).
public final class Spawner: Sendable {
    private let devNull: FileDescriptor
    let output: OutputRouter
    /// The manager's environment without its `WPM_` variables.
    private let inherited: [String: String]
    /// The variables the manager adds for every worker (`WPM_...`).
    private let managerVariables: [String: String]
    /// `inherited` and `managerVariables` as `NAME=value`: the environment
    /// of a task that changes nothing in it.
    private let baseEnvironment: [String]
    /// The exec helper (`wpexec`).
    public let helperPath: String
    private let manager = getpid()

    /// `environment` is added to the manager's own for every worker (after
    /// any `WPM_` variable the manager itself was given is removed).
    public init(
        output: OutputRouter, environment: [String: String] = [:], helper: String = ExecHelper.besideExecutable()
    ) throws {
        self.devNull = try FileDescriptor.open("/dev/null", .readWrite, options: [.closeOnExec])
        self.output = output
        self.helperPath = helper
        self.inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix(WorkerEnvironment.prefix) }
        self.managerVariables = environment
        self.baseEnvironment = inherited.merging(environment) { _, new in new }.map { "\($0.key)=\($0.value)" }
    }

    deinit {
        try? devNull.close()
    }

    /// Starts one worker of `spec`; throws when it cannot be started.
    public func spawn(_ spec: TaskSpec) throws(SpawnFailure) -> pid_t {
        let launch = spec.launch
        let envp = try environment(for: spec)
        let throughHelper = launch.needsHelper
        let path = throughHelper ? helperPath : spec.command
        let argv =
            throughHelper
            ? [helperPath] + ExecHelper.options(for: launch, manager: manager) + [spec.command, spec.command] + spec.args
            : [spec.command] + spec.args
        let pipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)?
        do {
            pipe = output.wants(spec) ? try FileDescriptor.pipe(options: .closeOnExec) : nil
        } catch {
            throw SpawnFailure(description: "cannot make its output pipe: \(error)")
        }
        let out = pipe?.writeEnd.rawValue ?? devNull.rawValue
        var pid: pid_t = 0
        var step: Int32 = 0
        let rc = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in
                withOptionalCString(launch.cwd) { cwd in
                    wpm_spawn(&pid, path, cArgv, cEnvp, devNull.rawValue, out, out, cwd, throughHelper ? 1 : 0, &step)
                }
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
        guard rc == 0 else { throw SpawnFailure(description: describe(error: rc, step: step, launch: launch)) }
        return pid
    }

    /// The environment of a worker of `spec`: the manager's (or only `PATH`
    /// with `clear_env`), then the user's `HOME`, `USER` and `LOGNAME`, then
    /// `env_file`, then `env` (null removes), then the manager's `WPM_` variables.
    func environment(for spec: TaskSpec) throws(SpawnFailure) -> [String] {
        let launch = spec.launch
        guard launch.changesEnvironment else { return baseEnvironment + WorkerEnvironment.variables(for: spec) }
        var variables = launch.clearEnv ? ["PATH": inherited["PATH"] ?? WorkerEnvironment.defaultPath] : inherited
        if let user = launch.user {
            variables["HOME"] = user.home
            variables["USER"] = user.name
            variables["LOGNAME"] = user.name
        }
        if let file = launch.envFile {
            do {
                for (name, value) in try EnvironmentFile.read(file) { variables[name] = value }
            } catch {
                throw SpawnFailure(description: error.description)
            }
        }
        for (name, value) in launch.env { variables[name] = value }
        variables.merge(managerVariables) { _, new in new }
        return variables.map { "\($0.key)=\($0.value)" } + WorkerEnvironment.variables(for: spec)
    }

    /// What an error of `wpm_spawn` means: a step of the helper, or
    /// posix_spawn's own failure (its directory, the helper, the worker).
    private func describe(error: Int32, step: Int32, launch: LaunchSettings) -> String {
        if step != 0 { return ExecHelper.describe(step: step, error: error) }
        var info = stat()
        if let cwd = launch.cwd, stat(cwd, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR {
            let problem = stat(cwd, &info) != 0 ? String(cString: strerror(errno)) : "not a directory"
            return "cannot change to cwd \"\(cwd)\": \(problem)"
        }
        if launch.needsHelper, access(helperPath, X_OK) != 0 {
            return "exec helper \(helperPath): \(String(cString: strerror(error)))"
        }
        return String(cString: strerror(error))
    }
}

/// Why a worker could not be started (after "cannot start COMMAND: ").
public struct SpawnFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The variables every worker finds in its environment (see `KeepAliveEnvironment`).
enum WorkerEnvironment {
    static let prefix = "WPM_"
    /// `PATH` with `clear_env` when the manager has none.
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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

/// Calls `body` with `string` as a C string, or NULL.
func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
