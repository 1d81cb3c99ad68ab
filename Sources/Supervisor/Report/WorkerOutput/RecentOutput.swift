import DequeModule
import FoundationEssentials
import Glibc
import Synchronization

/// One output line of a worker, as `GET /tasks/NAME/logs` shows it.
public struct WorkerOutputLine: Sendable, Equatable, Codable {
    public var task: String
    public var pid: Int32
    public var time: Date
    public var line: String
}

/// What a follower of the output gets: a line, or how many lines it lost
/// because it did not keep up.
public enum OutputFollowItem: Sendable, Equatable {
    case line(WorkerOutputLine)
    case lost(Int)
    /// Put in by `OutputFollowing.ping()` (keeps a quiet connection alive).
    case heartbeat
}

/// The last output lines of every task's workers, in memory (a bounded ring
/// per task: at most `maxLines` lines and `maxBytes` bytes of text, the
/// oldest go first), and the clients following them.
///
/// Lines come in on the output pipes' thread: adding one takes a lock for
/// an append (no allocation beyond the line itself, no waiting on anyone),
/// so neither the workers nor the manager are ever slowed by a reader. A
/// follower has a bounded buffer; lines that find it full are lost to it,
/// counted, and announced (`.lost(N)`) as soon as there is room again.
public final class RecentOutput: Sendable {
    public static let defaultMaxLines = 1000
    public static let defaultMaxBytes = 256 * 1024
    /// Lines a follower may fall behind by before it loses some.
    public static let followBuffer = 1024

    private struct Ring {
        var lines = Deque<WorkerOutputLine>()
        var bytes = 0
    }

    private struct Follower {
        let task: String
        let continuation: AsyncStream<OutputFollowItem>.Continuation
        /// Items handed to the stream and not yet taken by the client.
        var pending = 0
        let capacity: Int
        /// Lines it lost and has not been told about yet.
        var unannounced = 0

        /// Hands `item` over when there is room (and the loss notice first).
        mutating func offer(_ item: OutputFollowItem) {
            if unannounced > 0, pending < capacity {
                continuation.yield(.lost(unannounced))
                pending += 1
                unannounced = 0
            }
            if unannounced > 0 || pending >= capacity {
                unannounced += 1
            } else {
                continuation.yield(item)
                pending += 1
            }
        }

        /// The client took an item: once it has taken everything, it is
        /// told at once of lines lost meanwhile (not only before the next line).
        mutating func taken() {
            pending = max(pending - 1, 0)
            if pending == 0, unannounced > 0 {
                continuation.yield(.lost(unannounced))
                pending = 1
                unannounced = 0
            }
        }
    }

    private struct State {
        var rings: [String: Ring] = [:]
        var followers: [UInt64: Follower] = [:]
        var nextID: UInt64 = 0
    }

    public let maxLines: Int
    public let maxBytes: Int
    private let state = Mutex(State())

    public init(maxLines: Int = RecentOutput.defaultMaxLines, maxBytes: Int = RecentOutput.defaultMaxBytes) {
        self.maxLines = max(maxLines, 1)
        self.maxBytes = max(maxBytes, 1)
    }

    /// Adds lines of one worker (on the pipes' thread).
    func append(task: String, pid: pid_t, lines: [ArraySlice<UInt8>]) {
        guard !lines.isEmpty else { return }
        let time = Date()
        let decoded = lines.map { WorkerOutputLine(task: task, pid: pid, time: time, line: String(decoding: $0, as: UTF8.self)) }
        state.withLock { state in
            var ring = state.rings[task] ?? Ring()
            state.rings[task] = nil  // unique: the append does not copy
            for line in decoded {
                ring.lines.append(line)
                ring.bytes += line.line.utf8.count
                while ring.lines.count > maxLines || (ring.bytes > maxBytes && ring.lines.count > 1) {
                    ring.bytes -= ring.lines.removeFirst().line.utf8.count
                }
            }
            state.rings[task] = ring
            for id in state.followers.keys where state.followers[id]?.task == task {
                for line in decoded { state.followers[id]?.offer(.line(line)) }
            }
        }
    }

    /// The last `count` lines of `task`, oldest first.
    public func last(_ count: Int, of task: String) -> [WorkerOutputLine] {
        state.withLock { state in
            guard let ring = state.rings[task], count > 0 else { return [] }
            return Array(ring.lines.suffix(count))
        }
    }

    /// The last `count` lines of `task` and, after them, every new line,
    /// until `end()` (no line between the two is missed or repeated).
    public func follow(_ task: String, last count: Int, bufferSize: Int = RecentOutput.followBuffer) -> OutputFollowing {
        // Bounded by `pending` (the stream itself never drops).
        let (stream, continuation) = AsyncStream.makeStream(of: OutputFollowItem.self, bufferingPolicy: .unbounded)
        let (id, backlog) = state.withLock { state in
            state.nextID += 1
            state.followers[state.nextID] = Follower(task: task, continuation: continuation, capacity: max(bufferSize, 2))
            let backlog = count > 0 ? Array(state.rings[task]?.lines.suffix(count) ?? []) : []
            return (state.nextID, backlog)
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.followers.removeValue(forKey: id) }
        }
        return OutputFollowing(
            backlog: backlog, items: stream, end: { continuation.finish() },
            ping: { [weak self] in
                self?.state.withLock { state in
                    guard let follower = state.followers[id], follower.pending < follower.capacity else { return }
                    follower.continuation.yield(.heartbeat)
                    state.followers[id]?.pending += 1
                }
            },
            taken: { [weak self] in self?.state.withLock { $0.followers[id]?.taken() } })
    }

    /// Clients following some task's output now.
    public var followerCount: Int { state.withLock { $0.followers.count } }

    /// Ends every following (the manager is shutting down).
    public func endFollowers() {
        let continuations = state.withLock { $0.followers.values.map(\.continuation) }
        for continuation in continuations { continuation.finish() }
    }
}

/// A client following one task's output: `backlog` first, then the items
/// (iterate the following itself: that is how it knows the client keeps up).
public struct OutputFollowing: AsyncSequence, Sendable {
    public typealias Element = OutputFollowItem
    public let backlog: [WorkerOutputLine]
    let items: AsyncStream<OutputFollowItem>
    private let finish: @Sendable () -> Void
    private let heartbeat: @Sendable () -> Void
    private let taken: @Sendable () -> Void

    init(
        backlog: [WorkerOutputLine], items: AsyncStream<OutputFollowItem>, end: @escaping @Sendable () -> Void,
        ping: @escaping @Sendable () -> Void, taken: @escaping @Sendable () -> Void
    ) {
        self.backlog = backlog
        self.items = items
        self.finish = end
        self.heartbeat = ping
        self.taken = taken
    }

    /// Ends the following: items already handed over are still delivered.
    public func end() { finish() }

    /// Adds a `.heartbeat` (nothing when the buffer is full; not counted as lost).
    public func ping() { heartbeat() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var items: AsyncStream<OutputFollowItem>.Iterator
        let taken: @Sendable () -> Void

        public mutating func next() async -> OutputFollowItem? {
            let item = await items.next()
            if item != nil { taken() }
            return item
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(items: items.makeAsyncIterator(), taken: taken)
    }
}
