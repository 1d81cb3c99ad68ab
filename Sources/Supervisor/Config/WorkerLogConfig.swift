/// Where worker output is written besides `capture_output`: one file per
/// task, `DIRECTORY/TASK.log`, rotated by size (config keys `log_dir`,
/// `log_max_size`, `log_backups`).
public struct WorkerLogConfig: Sendable, Equatable {
    public static let defaultMaxSize = 10 * 1024 * 1024
    public static let defaultBackups = 5
    /// Smallest size limit other than 0 (no rotation).
    public static let minimumMaxSize = 1024
    public static let maximumBackups = 1000

    public var directory: String
    /// Rotate before a file would grow beyond this many bytes; 0: never.
    public var maxSize: Int
    /// Rotated files kept: `TASK.log.1` (newest) to `TASK.log.N`.
    public var backups: Int

    public init(
        directory: String, maxSize: Int = WorkerLogConfig.defaultMaxSize, backups: Int = WorkerLogConfig.defaultBackups
    ) {
        self.directory = directory
        self.maxSize = maxSize
        self.backups = backups
    }

    /// The file of `task`.
    public func path(of task: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + task + ".log"
    }
}
