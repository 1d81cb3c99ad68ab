import FoundationEssentials
import Synchronization
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Sends keep-alives from a Swift worker. Connect once, then call `beat()`
/// whenever the worker makes progress: it never blocks and never throws (a
/// keep-alive that cannot be queued is dropped; the next one will do).
public final class KeepAliveClient: @unchecked Sendable {
    public let taskName: String
    public let pid: Int32
    private let context: ZMQContext
    private let socket: ZMQSocket
    private let lock = Mutex(())
    private let plainFrames: [[UInt8]]

    /// Connects to `endpoint` (default: `$WPM_KEEPALIVE_ENDPOINT`) as a worker
    /// of `taskName` (default: `$WPM_TASK_NAME`).
    public init(taskName: String? = nil, endpoint: String? = nil, pid: Int32 = getpid()) throws {
        let environment = ProcessInfo.processInfo.environment
        guard let name = taskName ?? environment[KeepAliveEnvironment.taskName], !name.isEmpty else {
            throw KeepAliveClientError.missing(KeepAliveEnvironment.taskName)
        }
        guard let endpoint = endpoint ?? environment[KeepAliveEnvironment.endpoint], !endpoint.isEmpty else {
            throw KeepAliveClientError.missing(KeepAliveEnvironment.endpoint)
        }
        self.taskName = name
        self.pid = pid
        context = try ZMQContext()
        socket = try ZMQSocket(context, .pub)
        try socket.connect(endpoint)
        plainFrames = KeepAliveMessage(taskName: name, pid: pid).frames()
    }

    /// Sends one keep-alive, optionally saying what the worker is doing.
    public func beat(status: KeepAliveMessage.Status? = nil, job: String? = nil, message: String? = nil) {
        let frames =
            status == nil && job == nil && message == nil
            ? plainFrames
            : KeepAliveMessage(taskName: taskName, pid: pid, status: status, job: job, message: message).frames()
        lock.withLock { _ in
            guard socket.handle != nil else { return }
            try? socket.send(frames, wait: false)
        }
    }

    /// Closes the connection, waiting up to `timeout` for keep-alives still
    /// queued (the last `stopping` one, say) to leave. Beats after this are dropped.
    public func close(waitingUpTo timeout: Duration = .seconds(1)) {
        lock.withLock { _ in
            guard socket.handle != nil else { return }
            try? socket.set(ZMQOption.linger, Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
            socket.close()
            context.terminate()
        }
    }

    deinit {
        socket.close()
    }
}

public enum KeepAliveClientError: Error, CustomStringConvertible {
    case missing(String)

    public var description: String {
        switch self {
        case .missing(let variable): "\(variable) is not set: is this process a wpmanager worker?"
        }
    }
}
