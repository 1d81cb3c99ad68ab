import CZeroMQ
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A libzmq error: the call that failed and errno's text.
public struct ZMQError: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Int32
    public let call: String

    public init(code: Int32 = zmq_errno(), call: String) {
        self.code = code
        self.call = call
    }

    public var description: String { "\(call): \(String(cString: zmq_strerror(code)))" }

    /// No message was there (non-blocking receive) or a send would block.
    public var wouldBlock: Bool { code == EAGAIN }
    /// The context was terminated: the owning thread should close its socket and stop.
    public var contextTerminated: Bool { code == ETERM }
}

/// A ZeroMQ context, shared by every socket of the process. Terminating it
/// (`shutdown`) makes blocking calls on its sockets fail with ETERM.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let terminated = Atomic<Bool>(false)

    public init() throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError(call: "zmq_ctx_new") }
        self.handle = handle
    }

    /// Sets a context option (`ZMQContextOption`); before any socket is created.
    public func set(_ option: Int32, _ value: Int32) throws(ZMQError) {
        guard zmq_ctx_set(handle, option, value) == 0 else { throw ZMQError(call: "zmq_ctx_set(\(option))") }
    }

    /// Wakes every blocking call with ETERM; sockets must then be closed by their threads.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// Waits until every socket of the context is closed and their lingering
    /// messages have left (or their linger ran out), then frees it. Once.
    public func terminate() {
        let (exchanged, _) = terminated.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
        if exchanged { _ = zmq_ctx_term(handle) }
    }

    deinit {
        terminate()
    }
}

/// The socket types this project uses.
public enum ZMQSocketType: Int32, Sendable {
    case pub = 1  // ZMQ_PUB
    case sub = 2  // ZMQ_SUB
    case pair = 0  // ZMQ_PAIR
    case xpub = 9  // ZMQ_XPUB
    case xsub = 10  // ZMQ_XSUB
}

/// One ZeroMQ socket. A socket belongs to one thread at a time: it is not
/// `Sendable`; create it on the thread that uses it (or hand it over once).
public final class ZMQSocket {
    public private(set) var handle: UnsafeMutableRawPointer?

    /// Creates the socket with `ZMQ_LINGER` 0, so closing never waits.
    public init(_ context: ZMQContext, _ type: ZMQSocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else { throw ZMQError(call: "zmq_socket") }
        self.handle = handle
        try set(ZMQ_LINGER, Int32(0))
    }

    deinit { close() }

    public func close() {
        if let handle {
            _ = zmq_close(handle)
            self.handle = nil
        }
    }

    public func set(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError(call: "zmq_setsockopt(\(option))")
        }
    }

    public func set(_ option: Int32, _ value: Int64) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError(call: "zmq_setsockopt(\(option))")
        }
    }

    public func set(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQError(call: "zmq_setsockopt(\(option))") }
    }

    /// Subscribes a SUB socket to every topic starting with `prefix`.
    public func subscribe(_ prefix: [UInt8] = []) throws(ZMQError) {
        try set(ZMQ_SUBSCRIBE, bytes: prefix)
    }

    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError(call: "bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError(call: "connect \(endpoint)") }
    }

    /// The endpoint actually bound (with the port the OS picked for `:*` or `:0`).
    public func lastEndpoint() throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw ZMQError(call: "zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends a multi-part message. With `wait: false` a full queue throws
    /// `wouldBlock` instead of waiting (PUB sockets drop instead anyway).
    public func send(_ frames: [[UInt8]], wait: Bool = true) throws(ZMQError) {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = wait ? 0 : ZMQ_DONTWAIT
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            guard rc >= 0 else { throw ZMQError(call: "zmq_send") }
        }
    }

    /// Receives one whole multi-part message, keeping at most `maxFrames`
    /// frames of at most `maxFrameSize` bytes; the rest are read and discarded.
    /// Returns nil when `wait` is false and nothing is there.
    public func receive(wait: Bool = true, maxFrames: Int = 8, maxFrameSize: Int = 65536) throws(ZMQError) -> ZMQMessage? {
        var message = ZMQMessage()
        var more = true
        var flags: Int32 = wait ? 0 : ZMQ_DONTWAIT
        while more {
            var part = zmq_msg_t()
            zmq_msg_init(&part)
            defer { zmq_msg_close(&part) }
            if zmq_msg_recv(&part, handle, flags) < 0 {
                let error = ZMQError(call: "zmq_msg_recv")
                if error.wouldBlock && message.frameCount == 0 { return nil }
                throw error
            }
            flags = 0  // the rest of a message is already there
            let size = zmq_msg_size(&part)
            if message.frames.count < maxFrames {
                if size > maxFrameSize {
                    message.oversizedFrames.append(message.frameCount)
                    message.frames.append([])
                } else {
                    let data = zmq_msg_data(&part)!
                    message.frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
                }
            }
            message.frameCount += 1
            more = zmq_msg_more(&part) != 0
        }
        return message
    }

    /// Waits up to `timeout` milliseconds (-1: forever) for a message to read.
    public func poll(timeout: Int) throws(ZMQError) -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let rc = zmq_poll(&item, 1, timeout)
        guard rc >= 0 else { throw ZMQError(call: "zmq_poll") }
        return rc > 0
    }
}

/// Moves a socket to the thread that will use it from then on. The sender
/// must not touch the socket after handing it over.
public struct ZMQHandOff: @unchecked Sendable {
    private let socket: ZMQSocket
    public init(_ socket: ZMQSocket) { self.socket = socket }
    public func take() -> ZMQSocket { socket }
}

/// A received multi-part message.
public struct ZMQMessage: Sendable {
    /// The first frames (see `receive`); an oversized one is kept empty.
    public var frames: [[UInt8]] = []
    /// How many frames the message had in all.
    public var frameCount = 0
    /// Indices of the kept frames that were larger than allowed.
    public var oversizedFrames: [Int] = []
    /// Whether any frame, kept or not, was larger than allowed (`relay`).
    public var anyFrameOversized = false
    /// Whether `relay` sent it on.
    public var forwarded = false
    public var oversized: Bool { !oversizedFrames.isEmpty }
}

/// Runs libzmq's proxy between two sockets on the calling thread until the
/// context is shut down (then it throws ETERM).
public func zmqProxy(frontend: ZMQSocket, backend: ZMQSocket) throws(ZMQError) {
    _ = zmq_proxy(frontend.handle, backend.handle, nil)
    throw ZMQError(call: "zmq_proxy")
}

/// Socket options by name.
public enum ZMQOption {
    public static let linger = ZMQ_LINGER
    public static let maxMessageSize = ZMQ_MAXMSGSIZE
    public static let receiveHighWaterMark = ZMQ_RCVHWM
    public static let sendHighWaterMark = ZMQ_SNDHWM
    public static let ipv6 = ZMQ_IPV6
    public static let receiveBuffer = ZMQ_RCVBUF
}

/// Context options by name.
public enum ZMQContextOption {
    /// Sockets the context may have open at once (libzmq's default is 1023).
    public static let maxSockets = ZMQ_MAX_SOCKETS
}
