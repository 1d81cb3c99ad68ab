import FoundationEssentials
import Glibc
import Logging
import SystemHelpers

/// One log file per task, `DIR/TASK.log`, rotated by size: before a write
/// would take it past `maxSize`, `TASK.log.(N-1)` becomes `TASK.log.N` (the
/// oldest falls off), ..., `TASK.log` becomes `TASK.log.1`, and a new
/// `TASK.log` is started. Rotation happens between lines; a file grows past
/// the limit only when a single line is longer than it. Without a config (no
/// `log_dir`) nothing is written. A config reload changes the config in
/// place (`reconfigure`): the files open are closed and the next line goes
/// where the new config says. Used on the output writer's thread only.
final class TaskLogFiles: OutputDestination {
    struct OpenFile {
        var fd: Int32
        var size: Int
    }

    private(set) var config: WorkerLogConfig?
    private let logger: Logger
    private var files: [String: OpenFile] = [:]
    /// "TASK what" for the operations that failed (one error per streak).
    private var failing: Set<String> = []

    init(config: WorkerLogConfig?, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    deinit { reopen() }

    func reopen() {
        for file in files.values { close(file.fd) }
        files = [:]
    }

    /// A reload changed `log_dir`, `log_max_size` or `log_backups`: the
    /// next line is written as `config` says (a file already past a smaller
    /// `log_max_size` is rotated before it).
    func reconfigure(_ config: WorkerLogConfig?) {
        reopen()
        failing = []
        self.config = config
    }

    func write(task: String, chunk: [UInt8], lines: Int) -> Int {
        guard let config else { return 0 }
        var start = chunk.startIndex
        while start < chunk.endIndex {
            guard var file = open(task) else { return newlines(in: chunk[start...]) }
            // As many whole lines as fit; rotate when not even one does.
            var end = chunk.endIndex
            if config.maxSize > 0, file.size + (end - start) > config.maxSize {
                let limit = start + (config.maxSize - file.size)
                end = start
                while let newline = chunk[end...].firstIndex(of: UInt8(ascii: "\n")), newline + 1 <= limit {
                    end = newline + 1
                }
                if end == start {
                    if file.size > 0 {
                        if rotate(task) { continue }
                        guard let same = open(task) else { return newlines(in: chunk[start...]) }
                        file = same
                    }
                    // A line longer than the limit goes into a file of its own
                    // (or, when rotation failed, where it can).
                    end = (chunk[start...].firstIndex(of: UInt8(ascii: "\n")) ?? chunk.endIndex - 1) + 1
                }
            }
            let written = writeAll(file.fd, chunk[start..<end])
            file.size += written
            files[task] = file
            if written < end - start {
                fail(task, "write", "cannot write \(config.path(of: task)): \(String(cString: strerror(errno)))")
                close(file.fd)
                files[task] = nil
                return newlines(in: chunk[(start + written)...])
            }
            let wasFailing = [failing.remove("\(task) write"), failing.remove("\(task) open")].contains { $0 != nil }
            if wasFailing {
                logger.notice("worker output written again to \(config.path(of: task))", metadata: ["task": "\(task)"])
            }
            start = end
        }
        return 0
    }

    private func open(_ task: String) -> OpenFile? {
        if let file = files[task] { return file }
        guard let config else { return nil }
        let path = config.path(of: task)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            fail(task, "open", "cannot open \(path): \(String(cString: strerror(errno)))")
            return nil
        }
        var info = stat()
        let size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        let file = OpenFile(fd: fd, size: size)
        files[task] = file
        return file
    }

    /// Shifts the backups and moves the file aside; false when that failed.
    private func rotate(_ task: String) -> Bool {
        if let file = files.removeValue(forKey: task) { close(file.fd) }
        guard let config else { return false }
        let path = config.path(of: task)
        if config.backups == 0 {
            if unlink(path) == 0 || errno == ENOENT { return rotated(task) }
        } else {
            for n in stride(from: config.backups - 1, through: 1, by: -1) {
                _ = rename("\(path).\(n)", "\(path).\(n + 1)")
            }
            if rename(path, "\(path).1") == 0 || errno == ENOENT { return rotated(task) }
        }
        fail(task, "rotate", "cannot rotate \(path): \(String(cString: strerror(errno)))")
        return false
    }

    private func rotated(_ task: String) -> Bool {
        failing.remove("\(task) rotate")
        return true
    }

    private func fail(_ task: String, _ what: String, _ message: String) {
        guard failing.insert("\(task) \(what)").inserted else { return }
        logger.error("worker output lost: \(message)", metadata: ["task": "\(task)"])
    }
}
