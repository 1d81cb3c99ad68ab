import FoundationEssentials
import Glibc

/// The exec helper, `wpexec` (Sources/wpexec): what `posix_spawn` starts
/// for a task that needs a setting it cannot make (user and groups, umask,
/// limits, nice, oom_score_adj, the parent-death signal). It applies them
/// and execve's the worker, which keeps the pid.
public enum ExecHelper {
    public static let name = "wpexec"

    /// `wpexec` beside the running executable (wpmanager, or the test binary).
    public static func besideExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return name }
        let executable = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = directoryPart(of: executable)
        return (directory.isEmpty ? "." : directory) + "/" + name
    }

    /// The helper's options for `settings` (see Sources/wpexec/main.c);
    /// `manager` is the pid the worker's parent must be.
    static func options(for settings: LaunchSettings, manager: pid_t) -> [String] {
        var options: [String] = []
        for (name, limit) in settings.rlimits.sorted(by: { $0.key < $1.key }) {
            guard let resource = ResourceLimit.resource(named: name) else { continue }
            options += ["-r", "\(resource):\(limit.soft):\(limit.hard)"]
        }
        if let nice = settings.nice { options += ["-n", String(nice)] }
        if let oom = settings.oomScoreAdj { options += ["-o", String(oom)] }
        if let umask = settings.umask { options += ["-m", String(umask, radix: 8)] }
        if let groups = settings.supplementaryGroups { options += ["-G", groups.map(String.init).joined(separator: ",")] }
        if let gid = settings.group?.gid ?? settings.user?.gid { options += ["-g", String(gid)] }
        if let uid = settings.user?.uid { options += ["-u", String(uid)] }
        if settings.parentDeathSignal { options += ["-p", "\(settings.stopSignal):\(manager)"] }
        return options + ["--"]
    }

    /// What failed, for a step the helper reported (mirrors its `STEP_` numbers).
    static func describe(step: Int32, error: Int32) -> String {
        let text = String(cString: strerror(error))
        switch step {
        case 1: return "the exec helper was called wrongly: \(text)"
        case 3: return "cannot set nice: \(text)"
        case 4: return "cannot set oom_score_adj: \(text)"
        case 5: return "cannot set the supplementary groups: \(text)"
        case 6: return "cannot set the group: \(text)"
        case 7: return "cannot set the user: \(text)"
        case 8: return "cannot set the parent-death signal: \(text)"
        case 9: return "the manager died during the spawn"
        case 10: return text
        case 100...:
            let name = ResourceLimit.resources.first { $0.resource == step - 100 }?.name ?? "resource \(step - 100)"
            return "cannot set rlimits.\(name): \(text)"
        default: return "step \(step) of the exec helper failed: \(text)"
        }
    }
}
