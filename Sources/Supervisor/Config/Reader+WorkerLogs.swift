import FoundationEssentials
import Glibc

/// The worker log keys: `log_dir`, `log_max_size`, `log_backups`.
extension Reader {
    static let workerLogKeys: Set<String> = ["log_dir", "log_max_size", "log_backups"]

    mutating func workerLogs(_ top: [String: JSONValue]) throws(ConfigError) -> WorkerLogConfig? {
        let maxSize = try integer(
            top["log_max_size"], "log_max_size", in: 0...(1 << 50),
            what: "a whole number of bytes: 0 (never rotate) or at least \(WorkerLogConfig.minimumMaxSize)")
        if let maxSize, maxSize > 0, maxSize < WorkerLogConfig.minimumMaxSize {
            throw fail(
                "log_max_size", "must be 0 (never rotate) or at least \(WorkerLogConfig.minimumMaxSize) bytes, got \(maxSize)")
        }
        let backups = try integer(
            top["log_backups"], "log_backups", in: 0...WorkerLogConfig.maximumBackups,
            what: "a whole number from 0 to \(WorkerLogConfig.maximumBackups)")
        guard let directory = try string(top["log_dir"], "log_dir") else {
            for key in ["log_max_size", "log_backups"] where top[key] != nil {
                warnings.append("config \(file): \"\(key)\" has no effect without \"log_dir\"")
            }
            return nil
        }
        guard !directory.isEmpty else { throw fail("log_dir", "must not be empty") }
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw fail("log_dir", "\"\(directory)\" cannot be used: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw fail("log_dir", "\"\(directory)\" is not a directory") }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw fail("log_dir", "\"\(directory)\" is not writable: \(String(cString: strerror(errno)))")
        }
        return WorkerLogConfig(
            directory: directory, maxSize: maxSize ?? WorkerLogConfig.defaultMaxSize,
            backups: backups ?? WorkerLogConfig.defaultBackups)
    }
}
