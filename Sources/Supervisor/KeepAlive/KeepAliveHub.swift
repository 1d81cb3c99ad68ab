import FoundationEssentials
import Glibc
import NIOConcurrencyHelpers
import KeepAlive
import ZeroMQ

/// The keep-alive side of the manager (SPEC §2): an XSUB socket bound on the
/// inbound port, an XPUB socket bound on the internal port (anyone may watch
/// there), libzmq's proxy between them on its own thread, and a listener on
/// another thread that subscribes on the internal side, decodes every
/// message and hands batches of them over as an `AsyncStream`.
public final class KeepAliveHub: Sendable {
    /// One received message, decoded or not, with its frame 0 when that is text.
    public struct Item: Sendable {
        public var topic: String?
        public var result: Result<KeepAliveMessage, KeepAliveDrop>

        init(_ message: ZMQMessage) {
            let first = message.frames.first.flatMap { String(validating: $0, as: UTF8.self) }
            topic = message.oversizedFrames.first == 0 ? nil : first
            result = KeepAliveMessage.decode(message.frames, oversized: message.oversized)
        }
    }

    /// Batches of received messages, in order.
    public let batches: AsyncStream<[Item]>
    /// Where workers connect (the bound inbound endpoint).
    public let inboundEndpoint: String
    /// Where watchers subscribe.
    public let internalEndpoint: String

    private let context: ZMQContext
    private let overloads = Counter()
    static let maxBatch = 512
    static let bufferedBatches = 256

    /// Binds both ports (0 lets the OS pick) and starts the threads. Throws
    /// `KeepAliveHubError` naming the endpoint that could not be bound.
    public init(host: String, inboundPort: Int, internalPort: Int) throws(KeepAliveHubError) {
        let context: ZMQContext
        let frontend: ZMQSocket
        let backend: ZMQSocket
        let listener: ZMQSocket
        let inproc = "inproc://wpm-keepalives-\(UUID().uuidString)"
        let address = try Self.resolve(host)
        let ipv6 = address.contains(":")
        func endpoint(_ port: Int) -> String {
            "tcp://\(ipv6 ? "[\(address)]" : address):\(port == 0 ? "*" : String(port))"
        }
        do {
            context = try ZMQContext()
            frontend = try ZMQSocket(context, .xsub)
            backend = try ZMQSocket(context, .xpub)
            if ipv6 {
                try frontend.set(ZMQOption.ipv6, Int32(1))
                try backend.set(ZMQOption.ipv6, Int32(1))
            }
            // A hostile peer cannot make us allocate: libzmq drops the
            // connection of a sender whose message exceeds this.
            try frontend.set(ZMQOption.maxMessageSize, Int64(64 * 1024))
        } catch {
            throw .setup(error.description)
        }
        do { try frontend.bind(endpoint(inboundPort)) } catch {
            throw .bind(what: "keepalives.inbound_port", endpoint: endpoint(inboundPort), problem: error.description)
        }
        do { try backend.bind(endpoint(internalPort)) } catch {
            throw .bind(what: "keepalives.internal_port", endpoint: endpoint(internalPort), problem: error.description)
        }
        do {
            inboundEndpoint = try frontend.lastEndpoint()
            internalEndpoint = try backend.lastEndpoint()
            try backend.bind(inproc)
            listener = try ZMQSocket(context, .sub)
            try listener.set(ZMQOption.receiveHighWaterMark, Int32(100_000))
            try listener.subscribe()
            try listener.connect(inproc)
        } catch {
            throw .setup(error.description)
        }
        self.context = context
        // Received keep-alives pass through libzmq's I/O thread first.
        LatencySensitiveThread.apply(toThreadsNamed: "ZMQbg/IO")
        let (stream, continuation) = AsyncStream<[Item]>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.bufferedBatches))
        batches = stream

        let (front, back, listen) = (ZMQHandOff(frontend), ZMQHandOff(backend), ZMQHandOff(listener))
        DetachedThread.start(name: "wpm-ka-proxy") {
            LatencySensitiveThread.enter()
            let (frontend, backend) = (front.take(), back.take())
            // Returns when the context is shut down.
            try? zmqProxy(frontend: frontend, backend: backend)
            frontend.close()
            backend.close()
        }

        let overloads = self.overloads
        DetachedThread.start(name: "wpm-ka-listener") {
            LatencySensitiveThread.enter()
            let listener = listen.take()
            Self.listen(listener, continuation: continuation, overloads: overloads)
            listener.close()
            continuation.finish()
        }
    }

    /// The numeric address `host` stands for, IPv4 first (libzmq binds
    /// interface names and addresses, not host names such as `localhost`).
    static func resolve(_ host: String) throws(KeepAliveHubError) -> String {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0, let first = list else {
            throw .resolve(host: host, problem: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        var candidates: [(family: Int32, text: String)] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                candidates.append((entry.pointee.ai_family, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
            }
            node = entry.pointee.ai_next
        }
        guard let chosen = candidates.first(where: { $0.family == AF_INET }) ?? candidates.first else {
            throw .resolve(host: host, problem: "no address")
        }
        return chosen.text
    }

    /// Messages shed (whole batches of them) because the supervisor fell behind.
    public var shedMessages: Int { overloads.value }

    /// Stops both threads (their sockets close) and frees the ports.
    public func shutdown() {
        context.shutdown()
    }

    private static func listen(
        _ socket: ZMQSocket, continuation: AsyncStream<[Item]>.Continuation, overloads: Counter
    ) {
        while true {
            var batch: [Item] = []
            do {
                // Block for the first message, then take what is already there.
                guard let first = try socket.receive(maxFrames: 3, maxFrameSize: KeepAliveMessage.maxFrameSize)
                else { continue }
                batch.append(Item(first))
                while batch.count < maxBatch,
                    let next = try socket.receive(wait: false, maxFrames: 3, maxFrameSize: KeepAliveMessage.maxFrameSize)
                {
                    batch.append(Item(next))
                }
            } catch {
                if error.contextTerminated { return }
                if !batch.isEmpty { _ = continuation.yield(batch) }
                continue
            }
            if case .dropped = continuation.yield(batch) { overloads.add(batch.count) }
        }
    }
}

public enum KeepAliveHubError: Error, CustomStringConvertible {
    case bind(what: String, endpoint: String, problem: String)
    case setup(String)
    case resolve(host: String, problem: String)

    public var description: String {
        switch self {
        case .resolve(let host, let problem): "cannot resolve keepalives.host \"\(host)\": \(problem)"
        case .bind(let what, let endpoint, let problem): "cannot bind \(what) at \(endpoint): \(problem)"
        case .setup(let problem): "cannot set up keep-alive sockets: \(problem)"
        }
    }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NIOLock()
    private var count = 0
    func add(_ n: Int) { lock.withLock { count += n } }
    var value: Int { lock.withLock { count } }
}
