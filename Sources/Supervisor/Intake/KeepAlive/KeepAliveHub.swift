import FoundationEssentials
import Glibc
import KeepAlive
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// The keep-alive side of the manager (SPEC §2): an XSUB socket bound on the
/// inbound port, an XPUB socket bound on the internal port (anyone may watch
/// there), and one intake thread (`KeepAliveIntake`) that reads every
/// message from the first, passes it on to the second, decodes it and hands
/// batches of them over as an `AsyncStream`. A drain (`requestDrain`) makes
/// it read everything the inbound socket holds and mark the batch that ends
/// with it, so no worker is declared stalled while its keep-alives wait there.
///
/// It is a service: `run` starts the intake thread and, at the group's
/// graceful shutdown, closes the sockets, which ends it.
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

    /// Messages in the order received; `drained` is the newest drain request
    /// (`requestDrain`) answered by this batch (0: none): every message the
    /// inbound socket held when it was asked for is in this batch or before.
    public struct Batch: Sendable {
        public var items: [Item]
        public var drained: UInt64
    }

    /// Batches of received messages, in order.
    public let batches: AsyncStream<Batch>
    /// Where workers connect (the bound inbound endpoint).
    public let inboundEndpoint: String
    /// Where watchers subscribe.
    public let internalEndpoint: String

    private let context: ZMQContext
    let intake: KeepAliveIntake.Shared
    /// What the intake thread runs, until `run` takes it (once).
    private let intakeBody: Mutex<(@Sendable () -> Void)?>
    static let maxBatch = 512
    static let bufferedBatches = 256
    /// The largest frame read (and dropped as `too_large` when over
    /// `KeepAliveMessage.maxFrameSize`); a larger one costs its sender the
    /// connection (libzmq's `ZMQ_MAXMSGSIZE`, checked frame by frame).
    public static let maxReadFrameSize = 1 << 20

    /// Binds both ports (0 lets the OS pick); `run` starts the intake thread.
    /// Throws `KeepAliveHubError` naming the endpoint that could not be bound.
    public init(host: String, inboundPort: Int, internalPort: Int) throws(KeepAliveHubError) {
        let context: ZMQContext
        let frontend: ZMQSocket
        let backend: ZMQSocket
        let monitor: ZMQSocket
        let monitorEndpoint = "inproc://wpm-keepalive-monitor-\(UUID().uuidString)"
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
            // A hostile peer cannot make us allocate more than this for one
            // frame: libzmq drops the connection of a sender whose frame is
            // larger. Anything up to it is read and counted as too large.
            try frontend.set(ZMQOption.maxMessageSize, Int64(Self.maxReadFrameSize))
        } catch {
            throw .setup(error.description)
        }
        do { try frontend.bind(endpoint(inboundPort)) } catch {
            throw .bind(what: "keepalives.inbound_port", endpoint: endpoint(inboundPort), problem: error.description)
        }
        do { try backend.bind(endpoint(internalPort)) } catch {
            throw .bind(what: "keepalives.internal_port", endpoint: endpoint(internalPort), problem: error.description)
        }
        let shared: KeepAliveIntake.Shared
        do {
            inboundEndpoint = try frontend.lastEndpoint()
            internalEndpoint = try backend.lastEndpoint()
            // Every connection of a sender that ends or is refused is counted.
            try frontend.monitor(monitorEndpoint, events: KeepAliveIntake.monitoredEvents)
            monitor = try ZMQSocket(context, .pair)
            try monitor.connect(monitorEndpoint)
            // Whatever watchers subscribe to, every message is wanted here.
            try frontend.send([[1]])
            shared = try KeepAliveIntake.Shared()
        } catch {
            throw .setup(error.description)
        }
        self.context = context
        self.intake = shared
        // Received keep-alives pass through libzmq's I/O thread first.
        LatencySensitiveThread.apply(toThreadsNamed: "ZMQbg/IO")
        let (stream, continuation) = AsyncStream<Batch>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.bufferedBatches))
        batches = stream

        let sockets = (ZMQHandOff(frontend), ZMQHandOff(backend), ZMQHandOff(monitor))
        intakeBody = Mutex({
            LatencySensitiveThread.enter()
            let intake = KeepAliveIntake(
                frontend: sockets.0.take(), backend: sockets.1.take(), monitor: sockets.2.take(),
                shared: shared, continuation: continuation)
            intake.run()
            continuation.finish()
        })
    }

    deinit {
        // Never run: its sockets close before the context is terminated
        // (which waits for them).
        intakeBody.withLock { $0 = nil }
    }

    /// Asks the intake thread to read everything the inbound socket holds
    /// now; the batch that ends with it carries the returned number.
    public func requestDrain() -> UInt64 {
        intake.requestDrain()
    }

    /// Waits until `deadline` for drain `token` to find the inbound socket
    /// empty; returns how many batches were handed over before that word
    /// (all of them taken: nothing is left to count), or nil.
    public func waitForEmptyAnswer(_ token: UInt64, until deadline: ContinuousClock.Instant) -> UInt64? {
        intake.waitForEmptyAnswer(token, until: deadline)
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
    public var shedMessages: Int { intake.shed.load(ordering: .relaxed) }

    /// Connections of senders to the inbound port, as its socket monitor saw them.
    public var connections: KeepAliveConnections { intake.connections }

}

extension KeepAliveHub: Service {
    /// Runs the intake thread (`wpm-ka-intake`) until the group's graceful
    /// shutdown, which comes after the supervisor's (every worker is gone):
    /// then the thread closes its sockets and ends, and the context is
    /// terminated, which frees the ports, before `run` returns. Runs once.
    public func run() async {
        let body = intakeBody.withLock { body in
            defer { body = nil }
            return body
        }
        guard let body else { preconditionFailure("KeepAliveHub.run may run once") }
        let ended = DetachedThread.started(name: "wpm-ka-intake", body)
        try? await gracefulShutdown()
        context.shutdown()
        for await _ in ended {}
        // The sockets linger 0: this waits only for libzmq to close them.
        context.terminate()
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

