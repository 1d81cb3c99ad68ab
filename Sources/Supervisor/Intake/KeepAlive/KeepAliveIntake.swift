import Glibc
import KeepAlive
import Synchronization
import SystemHelpers
import ZeroMQ

/// Connections of keep-alive senders to the inbound port, since the start.
public struct KeepAliveConnections: Sendable, Equatable {
    /// Connections accepted.
    public var accepted = 0
    /// Connections that ended: closed by their sender (a worker that
    /// exited), or dropped by the manager (a frame over 1 MiB).
    public var closed = 0
    /// Connections refused during the handshake (not ZeroMQ, a wrong
    /// protocol version or mechanism: garbage on the port).
    public var refused = 0
}

/// The intake thread of `KeepAliveHub`: waits on the inbound socket, the
/// internal one (watchers' subscriptions), the inbound socket's monitor and a
/// wake-up pipe; passes every message on to watchers, decodes it, and
/// yields what it read as one batch (more when there are more than
/// `maxBatch`). It always reads until the inbound socket is empty, so a batch
/// that answers a drain request holds everything that was there.
struct KeepAliveIntake {
    static let monitoredEvents =
        ZMQMonitorEvent.accepted | ZMQMonitorEvent.disconnected | ZMQMonitorEvent.handshakeFailedNoDetail
        | ZMQMonitorEvent.handshakeFailedProtocol | ZMQMonitorEvent.handshakeFailedAuth

    /// What the intake thread and the rest of the manager share.
    final class Shared: Sendable {
        /// A pipe written to wake the thread for a drain (both ends
        /// non-blocking and close-on-exec).
        let wake: Int32
        private let wakeWrite: Int32
        let drainRequests = Atomic<UInt64>(0)
        let shed = Atomic<Int>(0)
        /// Batches handed over so far (not those shed).
        let batchesYielded = Atomic<UInt64>(0)
        /// The newest drain answered with nothing read (the socket was
        /// empty), and how many batches had been handed over before it: a
        /// supervisor that has taken those has every keep-alive there was.
        /// The count is stored first, so a reader sees it no older than the token.
        private let emptyAnswer = Atomic<UInt64>(0)
        private let batchesBeforeEmptyAnswer = Atomic<UInt64>(0)
        private let answers = ThreadCondition()
        let accepted = Atomic<Int>(0)
        let closed = Atomic<Int>(0)
        let refused = Atomic<Int>(0)

        init() throws(ZMQError) {
            let pipe: NonBlockingPipe
            do { pipe = try NonBlockingPipe() } catch { throw ZMQError(code: error.rawValue, call: "pipe") }
            (wake, wakeWrite) = (pipe.readEnd, pipe.writeEnd)
        }

        deinit {
            close(wake)
            close(wakeWrite)
        }

        func requestDrain() -> UInt64 {
            let token = drainRequests.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
            var one: UInt8 = 1
            _ = write(wakeWrite, &one, 1)
            return token
        }

        /// Drain `token` found the socket empty.
        func answeredEmpty(_ token: UInt64) {
            batchesBeforeEmptyAnswer.store(batchesYielded.load(ordering: .sequentiallyConsistent), ordering: .sequentiallyConsistent)
            emptyAnswer.store(token, ordering: .sequentiallyConsistent)
            answers.withLock { answers.broadcast() }
        }

        /// Waits until `deadline` for drain `token` (or a later one) to find
        /// the socket empty: the batches handed over before it, or nil.
        func waitForEmptyAnswer(_ token: UInt64, until deadline: ContinuousClock.Instant) -> UInt64? {
            answers.withLock {
                while emptyAnswer.load(ordering: .sequentiallyConsistent) < token {
                    guard answers.wait(until: deadline) else { break }
                }
            }
            guard emptyAnswer.load(ordering: .sequentiallyConsistent) >= token else { return nil }
            return batchesBeforeEmptyAnswer.load(ordering: .sequentiallyConsistent)
        }

        var connections: KeepAliveConnections {
            KeepAliveConnections(
                accepted: accepted.load(ordering: .relaxed), closed: closed.load(ordering: .relaxed),
                refused: refused.load(ordering: .relaxed))
        }
    }

    let frontend: ZMQSocket
    let backend: ZMQSocket
    let monitor: ZMQSocket
    let shared: Shared
    let continuation: AsyncStream<KeepAliveHub.Batch>.Continuation
    private let buffer = ZMQRelayBuffer()

    init(
        frontend: ZMQSocket, backend: ZMQSocket, monitor: ZMQSocket, shared: Shared,
        continuation: AsyncStream<KeepAliveHub.Batch>.Continuation
    ) {
        self.frontend = frontend
        self.backend = backend
        self.monitor = monitor
        self.shared = shared
        self.continuation = continuation
    }

    /// Runs until the context is shut down, then closes the sockets.
    func run() {
        defer {
            frontend.close()
            backend.close()
            monitor.close()
        }
        let poller = ZMQPoller(sockets: [frontend, backend, monitor], fds: [shared.wake])
        var answered: UInt64 = 0
        while true {
            do {
                try poller.wait(timeout: -1)
                if poller.isReadable(3) {
                    var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
                    while withUnsafeMutableBytes(of: &bytes, { read(shared.wake, $0.baseAddress, $0.count) }) > 0 {}
                }
                if poller.isReadable(1) { try forwardSubscriptions() }
                if poller.isReadable(2) { try countConnectionEvents() }
                // Read only now: every message there when it was asked for is
                // read below, before the batch that answers it.
                let wanted = shared.drainRequests.load(ordering: .sequentiallyConsistent)
                try readInbound(answering: wanted > answered ? wanted : 0)
                answered = max(answered, wanted)
            } catch {
                if error.contextTerminated { return }
            }
        }
    }

    /// Reads the inbound socket until it is empty, yielding full batches on
    /// the way; the last one answers `drain` (when not 0), even if empty.
    private func readInbound(answering drain: UInt64) throws(ZMQError) {
        var batch: [KeepAliveHub.Item] = []
        var read = 0
        while let message = try frontend.relay(
            to: backend, wait: false, maxFrames: 3, maxFrameSize: KeepAliveMessage.maxFrameSize, buffer: buffer)
        {
            batch.append(KeepAliveHub.Item(message))
            read += 1
            if batch.count == KeepAliveHub.maxBatch {
                yield(batch, drained: 0)
                batch = []
            }
        }
        // Nothing there: a supervisor waiting for the word may decide now
        // (the empty batch below tells one that did not wait).
        if drain != 0, read == 0 { shared.answeredEmpty(drain) }
        if !batch.isEmpty || drain != 0 { yield(batch, drained: drain) }
    }

    private func yield(_ items: [KeepAliveHub.Item], drained: UInt64) {
        switch continuation.yield(KeepAliveHub.Batch(items: items, drained: drained)) {
        case .dropped: shared.shed.wrappingAdd(items.count, ordering: .relaxed)
        case .enqueued: shared.batchesYielded.wrappingAdd(1, ordering: .sequentiallyConsistent)
        case .terminated: break
        @unknown default: break
        }
    }

    /// Watchers' (un)subscriptions go upstream to the senders; the intake's
    /// own subscription to everything stays.
    private func forwardSubscriptions() throws(ZMQError) {
        while try backend.relay(to: frontend, wait: false, maxFrames: 0, maxFrameSize: 256, buffer: buffer) != nil {}
    }

    private func countConnectionEvents() throws(ZMQError) {
        while let (event, _) = try monitor.receiveMonitorEvent() {
            switch event {
            case ZMQMonitorEvent.accepted: shared.accepted.wrappingAdd(1, ordering: .relaxed)
            case ZMQMonitorEvent.disconnected: shared.closed.wrappingAdd(1, ordering: .relaxed)
            case ZMQMonitorEvent.handshakeFailedNoDetail, ZMQMonitorEvent.handshakeFailedProtocol,
                ZMQMonitorEvent.handshakeFailedAuth:
                shared.refused.wrappingAdd(1, ordering: .relaxed)
            default: break
            }
        }
    }
}
