import FoundationEssentials
import Glibc
import Supervisor

/// `wpmanager --check-config -conf=FILE`: the config has been loaded and
/// validated; this prints what each task will run with.
enum ConfigCheck {
    /// Writes the report to standard output (warnings to standard error);
    /// returns the exit status: 0, or 2 when a task needs the exec helper
    /// and it cannot be run.
    static func run(_ config: ManagerConfig, helper: String) -> Int32 {
        for warning in config.warnings { LogOutput.standardError.write("wpmanager: warning: \(warning)\n") }
        let text = report(config)
        let needing = config.tasks.filter(\.launch.needsHelper).map(\.name)
        var status: Int32 = 0
        if !needing.isEmpty, access(helper, X_OK) != 0 {
            LogOutput.standardError.write(
                "wpmanager: exec helper \(helper) cannot be run (\(String(cString: strerror(errno)))): needed by \(needing.joined(separator: ", "))\n"
            )
            status = 2
        }
        LogOutput(fd: 1).write(text)
        return status
    }

    /// The effective settings of every task, one block each (`task NAME`,
    /// then indented `key: value` lines), after a first line naming the file.
    static func report(_ config: ManagerConfig) -> String {
        var text = "config \(config.file): valid, \(config.tasks.count) task(s)\n"
        for spec in config.tasks {
            text += "\ntask \(spec.name)\n"
            for line in TaskSettings(spec).lines { text += "  \(line)\n" }
        }
        return text
    }
}
