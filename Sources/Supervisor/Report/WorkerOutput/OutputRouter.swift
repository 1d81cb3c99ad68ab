import FoundationEssentials
import Glibc
import Logging
import ServiceLifecycle
import Synchronization
import SystemPackage

/// Copies the output of workers, one line at a time, to the manager's
/// standard output (`capture_output`: each line prefixed with `[TASK PID] `)
/// and to the task's log file (`log_dir`: `TIME [PID] `), and keeps every
/// task's last lines in memory (`recent`, whatever the config says).
///
/// Every pipe is watched by one `PipePoller` thread, which only reads and
/// queues: each destination has an `OutputWriter` with a
/// bounded buffer and a thread of its own, so a slow or stuck destination
/// never holds up the reading, the workers or the supervisor. Lines that do
/// not fit are dropped and counted per task. A line longer than `maxLine` is
/// cut into pieces; a last line without a newline is written when the worker
/// closes its end.
///
/// It is a service: `run` starts the writers' threads and, at the group's
/// graceful shutdown (after the supervisor's: every worker is gone), lets
/// them write the workers' last lines (`finish`) and ends them.
public final class OutputRouter: Sendable {
    public static let maxLine = 16 * 1024
    /// Bytes each destination may have waiting before lines are dropped.
    public static let defaultCapacity = 4 * 1024 * 1024
    private let pipes = PipePoller()
    private let standardOutput: OutputWriter?
    /// The log files of `log_dir`; its writer exists without one too, so
    /// that a reload can set, change or remove `log_dir` in place.
    private let files: OutputWriter
    /// Every task's last output lines (`GET /tasks/NAME/logs`).
    public let recent: RecentOutput

    /// `standardOutput` nil: captured output goes nowhere (tests); `logs` nil: no files.
    public init(
        standardOutput: FileDescriptor? = .standardOutput, logs: WorkerLogConfig? = nil,
        capacity: Int = OutputRouter.defaultCapacity, recent: RecentOutput = RecentOutput(),
        logger: Logger = Logger(label: "wpmanager")
    ) {
        self.recent = recent
        self.standardOutput = standardOutput.map {
            OutputWriter(
                name: "standard output", capacity: capacity, destination: StandardOutputDestination(fd: $0.rawValue),
                logger: logger)
        }
        self.files = OutputWriter(
            name: "log file", capacity: capacity, destination: TaskLogFiles(config: logs, logger: logger),
            wanted: logs != nil, logger: logger)
    }

    /// A reload set, changed or removed `log_dir`, `log_max_size` or
    /// `log_backups`: lines read from now on are written as `logs` says
    /// (those read before, as the old config said); no worker restarts.
    public func reconfigureFiles(_ logs: WorkerLogConfig?) {
        files.wanted.store(logs != nil, ordering: .relaxed)
        files.change { destination in
            (destination as? TaskLogFiles)?.reconfigure(logs)
        }
    }

    /// Whether workers of `spec` need an output pipe: always, for `recent`.
    func wants(_ spec: TaskSpec) -> Bool { true }

    func follow(_ fd: FileDescriptor, spec: TaskSpec, pid: pid_t) {
        _ = fcntl(fd.rawValue, F_SETFL, O_NONBLOCK)
        let reader = PipeReader(
            task: spec.name, pid: pid, standardOutput: spec.captureOutput ? standardOutput : nil, files: files,
            recent: recent)
        pipes.add(fd.rawValue, reader)
    }

    /// SIGUSR2: the log files are closed and opened again by name (after
    /// logrotate moved them away). False when there are none (no `log_dir`).
    @discardableResult
    public func reopenFiles() -> Bool {
        guard files.wanted.load(ordering: .relaxed) else { return false }
        files.requestReopen()
        return true
    }

    /// Lines of `task`'s workers that were dropped (a destination too slow)
    /// or lost (a write failed), over every destination, since the manager started.
    public func droppedLines(task: String) -> Int {
        (standardOutput?.droppedLines(task: task) ?? 0) + files.droppedLines(task: task)
    }

    /// At the end: how long `run` waits for the workers' last lines.
    public static let finishTimeout: Duration = .seconds(2)

    /// At exit: waits for the workers' pipes to close and everything read
    /// to be written, at most `timeout` in all.
    public func finish(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while pipes.count > 0, ContinuousClock.now < deadline { usleep(5_000) }
        standardOutput?.waitUntilIdle(before: deadline)
        files.waitUntilIdle(before: deadline)
    }
}

extension OutputRouter: Service {
    /// Runs the writers' threads until the group's graceful shutdown, then
    /// waits (at most `finishTimeout`) for the workers' last lines to be
    /// written, ends the threads and returns once they have ended. A writer
    /// stuck in a write (a FIFO nobody reads, a hung disk) cannot end: it
    /// is waited for `finishTimeout` more, then left to the process's exit.
    /// Runs once.
    public func run() async {
        let writers = [standardOutput, files].compactMap { $0 }
        let ended = writers.map { $0.start() }
        try? await gracefulShutdown()
        finish(timeout: Self.finishTimeout)
        for writer in writers { writer.stop() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for thread in ended {
                    for await _ in thread {}
                }
            }
            group.addTask { try? await Task.sleep(for: Self.finishTimeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
