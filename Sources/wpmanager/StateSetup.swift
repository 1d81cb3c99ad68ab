import FoundationEssentials
import Glibc
import Logging
import Supervisor

/// The state file at start: its absolute path (which also names this
/// manager's workers, see `LeftoverWorkers`), what it restores, and the
/// writer that keeps it up to date.
struct StateSetup {
    let path: String
    let writer: StateWriter
    let restored: RuntimeState?

    /// `clean`: `--clean-state`, the file is not read (and is overwritten
    /// at the first change). A file that cannot be read or is not a state
    /// file is reported and ignored, never fatal.
    init(config: ManagerConfig, clean: Bool, logger: Logger) {
        let file = config.stateFile
        path =
            file.hasPrefix("/")
            ? file : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(file).standardized.path
        writer = StateWriter(
            path: path, onError: { problem in logger.error("\(problem)", metadata: ["state_file": "\(file)"]) },
            onRecovery: { news in logger.notice("\(news)", metadata: ["state_file": "\(file)"]) })
        if clean {
            logger.notice("--clean-state: starting from the config alone", metadata: ["state_file": "\(file)"])
            restored = nil
            return
        }
        do {
            restored = try StateFile.read(path)
            if restored != nil { logger.notice("run-time state restored", metadata: ["state_file": "\(file)"]) }
        } catch {
            logger.error("state file \(file) \(error); ignored, starting from the config alone")
            restored = nil
        }
    }
}
