import FoundationEssentials
import Glibc
import Logging
import Synchronization
import SystemHelpers

/// Where an `OutputWriter` writes. Used only on the writer's own thread.
protocol OutputDestination: AnyObject {
    /// Writes `chunk` (whole lines of `task`); returns how many of its lines were lost.
    func write(task: String, chunk: [UInt8], lines: Int) -> Int
    /// Closes what is open; the next write opens it again (SIGUSR2).
    func reopen()
}

/// A change to a destination, made on the writer's thread between the
/// chunks queued before it and those after (a config reload).
typealias OutputChange = @Sendable (any OutputDestination) -> Void

/// A bounded buffer in front of a destination that may be slow or stuck (a
/// full disk, a pipe nobody reads). `submit` never blocks: when more than
/// `capacity` bytes are waiting, the chunk is dropped and its lines are
/// counted for its task. One thread of its own does the writing, taking
/// everything waiting at once (so up to twice `capacity` is held in memory):
/// `start` starts it, `stop` ends it once everything queued is written.
final class OutputWriter: @unchecked Sendable {
    struct Chunk {
        var task: String
        var bytes: [UInt8]
        var lines: Int
    }

    let name: String
    let capacity: Int
    /// Whether anything is to be written at all (worker log files: whether
    /// `log_dir` is set); readers skip making chunks nobody wants.
    let wanted: Atomic<Bool>
    private let logger: Logger
    private let destination: any OutputDestination
    // Everything below is guarded by `condition`.
    private let condition = ThreadCondition()
    private var pending: [Chunk] = []
    /// Changes to make before writing `pending[index...]`, in order.
    private var changes: [(index: Int, change: OutputChange)] = []
    private var pendingBytes = 0
    private var busy = false
    private var reopenRequested = false
    private var stopRequested = false
    private var started = false
    private var dropped: [String: Int] = [:]
    /// Tasks whose output is being dropped now (one warning per streak).
    private var dropping: Set<String> = []

    init(name: String, capacity: Int, destination: any OutputDestination, wanted: Bool = true, logger: Logger) {
        self.wanted = Atomic(wanted)
        self.name = name
        self.capacity = capacity
        self.destination = destination
        self.logger = logger
    }

    /// Starts the writing thread (once); the stream ends when it has ended (`stop`).
    func start() -> AsyncStream<Void> {
        condition.withLock {
            precondition(!started, "OutputWriter.start may run once")
            started = true
        }
        return DetachedThread.started(name: "wpm-output-\(name)") { [self] in run() }
    }

    /// Ends the writing thread once everything queued so far is written.
    func stop() {
        condition.lock()
        stopRequested = true
        condition.signal()
        condition.unlock()
    }

    /// Queues `chunk`, or drops and counts it when the buffer is full.
    func submit(_ chunk: Chunk) {
        condition.lock()
        if pendingBytes + chunk.bytes.count > capacity {
            dropped[chunk.task, default: 0] += chunk.lines
            let first = dropping.insert(chunk.task).inserted
            condition.unlock()
            if first {
                logger.warning(
                    "worker output dropped: the \(name) buffer is full (\(capacity) bytes waiting to be written)",
                    metadata: ["task": "\(chunk.task)"])
            }
            return
        }
        dropping.remove(chunk.task)
        pending.append(chunk)
        pendingBytes += chunk.bytes.count
        condition.signal()
        condition.unlock()
    }

    /// Makes `change` on the writer's thread, after every chunk queued so
    /// far and before any queued later.
    func change(_ change: @escaping OutputChange) {
        condition.lock()
        changes.append((pending.count, change))
        condition.signal()
        condition.unlock()
    }

    func requestReopen() {
        condition.lock()
        reopenRequested = true
        condition.signal()
        condition.unlock()
    }

    /// Lines of `task` dropped or lost so far.
    func droppedLines(task: String) -> Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped[task] ?? 0
    }

    /// Waits until everything queued is written, at most until `deadline`.
    @discardableResult
    func waitUntilIdle(before deadline: ContinuousClock.Instant) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !pending.isEmpty || !changes.isEmpty || busy || reopenRequested {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && changes.isEmpty && !reopenRequested && !stopRequested { condition.wait() }
            if pending.isEmpty && changes.isEmpty && !reopenRequested {
                condition.unlock()
                return
            }
            let batch = pending
            var batchChanges = changes[...]
            let reopen = reopenRequested
            pending = []
            changes = []
            pendingBytes = 0
            reopenRequested = false
            busy = true
            condition.unlock()

            if reopen { destination.reopen() }
            var lost: [String: Int] = [:]
            for (index, chunk) in batch.enumerated() {
                while let next = batchChanges.first, next.index <= index {
                    next.change(destination)
                    batchChanges.removeFirst()
                }
                let n = destination.write(task: chunk.task, chunk: chunk.bytes, lines: chunk.lines)
                if n > 0 { lost[chunk.task, default: 0] += n }
            }
            for next in batchChanges { next.change(destination) }

            condition.lock()
            for (task, n) in lost { dropped[task, default: 0] += n }
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }
}

/// The manager's standard output (`capture_output`).
final class StandardOutputDestination: OutputDestination {
    let fd: Int32

    init(fd: Int32 = 1) { self.fd = fd }

    func write(task: String, chunk: [UInt8], lines: Int) -> Int {
        let written = writeAll(fd, chunk)
        return written == chunk.count ? 0 : newlines(in: chunk[written...])
    }

    func reopen() {}
}

func newlines(in bytes: some Collection<UInt8>) -> Int {
    bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
}
