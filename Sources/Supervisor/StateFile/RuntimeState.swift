import FoundationEssentials
import Dispatch
import Glibc
import NIOConcurrencyHelpers
import SystemHelpers

/// What run-time changes survive a manager restart: which tasks run and the
/// cardinality of each. Kept in a JSON file, by default beside the config
/// (`state_file`).
public struct RuntimeState: Codable, Equatable, Sendable {
    public struct TaskState: Codable, Equatable, Sendable {
        public var running: Bool
        public var cardinality: Int
        /// Paused (see `Supervisor.pause`); absent when not, and in older files.
        public var paused: Bool?

        public init(running: Bool, cardinality: Int, paused: Bool? = nil) {
            self.running = running
            self.cardinality = cardinality
            self.paused = paused
        }
    }

    public static let currentVersion = 1

    public var version = RuntimeState.currentVersion
    public var tasks: [String: TaskState]

    public init(tasks: [String: TaskState]) {
        self.tasks = tasks
    }
}

/// Reading and writing the state file. Writes are atomic (a temporary file
/// in the same directory, fsync, rename, fsync of the directory), so a crash
/// leaves the old file or the new one, never a mix.
public enum StateFile {
    public enum ReadError: Error, CustomStringConvertible {
        case unreadable(String)
        case malformed(String)

        public var description: String {
            switch self {
            case .unreadable(let why): "cannot be read: \(why)"
            case .malformed(let why): "is not a valid state file: \(why)"
            }
        }
    }

    /// The state in `path`; nil when there is no such file.
    public static func read(_ path: String) throws(ReadError) -> RuntimeState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(String(cString: strerror(errno)))
        }
        let state: RuntimeState
        do { state = try JSONDecoder().decode(RuntimeState.self, from: data) } catch {
            throw .malformed(data.isEmpty ? "it is empty" : Self.describe(error))
        }
        guard state.version == RuntimeState.currentVersion else {
            throw .malformed("version \(state.version), expected \(RuntimeState.currentVersion)")
        }
        if let bad = state.tasks.first(where: { $0.value.cardinality < 0 }) {
            throw .malformed("task \(bad.key) has a negative cardinality")
        }
        return state
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        case DecodingError.keyNotFound(let key, _):
            return "\"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    /// Replaces `path` with `state`, atomically.
    public static func write(_ state: RuntimeState, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(state) + Data("\n".utf8)
        let directory = directoryPart(of: path)
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StateFileError(call: "open \(temporary)", errno: errno) }
        var failure: Int32 = 0
        if writeAll(fd, data) != data.count { failure = errno == 0 ? EIO : errno }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        guard failure == 0 else {
            unlink(temporary)
            throw StateFileError(call: "write \(temporary)", errno: failure)
        }
        guard rename(temporary, path) == 0 else {
            let renameErrno = errno
            unlink(temporary)
            throw StateFileError(call: "rename to \(path)", errno: renameErrno)
        }
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }
}

struct StateFileError: Error, CustomStringConvertible {
    let call: String
    let errno: Int32
    var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// Writes the state file off the supervisor's thread, the newest state
/// only: changes that come faster than the disk are folded together. A
/// write that fails (a full disk, say) is reported once and leaves the last
/// good file in place; the newest state is tried again every second until a
/// write succeeds, which is reported too (README, "Faults").
public final class StateWriter: @unchecked Sendable {
    public let path: String
    private let queue = DispatchQueue(label: "wpm.state")
    private let lock = NIOLock()
    private var pending: RuntimeState?
    /// A retry is scheduled: `save` leaves the newest state to it.
    private var retrying = false
    /// Writes that failed so far.
    private var failedWrites = 0
    /// On `queue` only: the last write failed.
    private var failing = false
    private let onError: @Sendable (String) -> Void
    private let onRecovery: @Sendable (String) -> Void
    static let retryInterval: Duration = .seconds(1)

    public init(
        path: String, onError: @escaping @Sendable (String) -> Void,
        onRecovery: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.path = path
        self.onError = onError
        self.onRecovery = onRecovery
    }

    public func save(_ state: RuntimeState) {
        let first = lock.withLock {
            defer { pending = state }
            return pending == nil && !retrying
        }
        guard first else { return }
        queue.async { [self] in writePending() }
    }

    /// Writes that failed since the start.
    public var failures: Int { lock.withLock { failedWrites } }

    private func writePending() {
        guard let state = lock.withLock({ defer { pending = nil }; return pending }) else { return }
        do {
            try StateFile.write(state, to: path)
            if failing {
                failing = false
                onRecovery("state file written again")
            }
        } catch {
            if !failing {
                failing = true
                onError("cannot write the state file: \(error); the last one written stays, trying again every second")
            }
            lock.withLock {
                failedWrites += 1
                if pending == nil { pending = state }
                retrying = true
            }
            queue.asyncAfter(deadline: .now() + .milliseconds(Int(Self.retryInterval.milliseconds))) { [self] in
                lock.withLock { retrying = false }
                writePending()
            }
        }
    }

    /// Waits for the writes asked for so far.
    public func flush() {
        queue.sync {}
    }
}
