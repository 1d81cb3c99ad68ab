import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

extension ZMQSocket {
    /// Receives one whole message like `receive`, and sends it on to `to`
    /// (without copying) unless a frame is larger than `maxFrameSize` or it
    /// has more than 16 frames. `buffer` holds the copied frames between
    /// calls (one per thread). Returns nil when `wait` is false and nothing
    /// is there.
    public func relay(
        to: ZMQSocket?, wait: Bool = true, maxFrames: Int = 3, maxFrameSize: Int, buffer: ZMQRelayBuffer
    ) throws(ZMQError) -> ZMQMessage? {
        var info = wpm_relay_info()
        let keep = min(maxFrames, 4)
        let rc = wpm_zmq_relay(handle, to?.handle, wait ? 0 : 1, keep, maxFrameSize, buffer.bytes(maxFrameSize * 4), &info)
        if rc < 0 {
            let error = ZMQError(call: "zmq_msg_recv")
            if error.wouldBlock { return nil }
            throw error
        }
        var message = ZMQMessage()
        message.frameCount = info.frame_count
        let sizes = withUnsafeBytes(of: info.sizes) { Array($0.bindMemory(to: Int.self)) }
        for index in 0..<min(keep, info.frame_count) {
            if info.oversized & (1 << UInt32(index)) != 0 {
                message.oversizedFrames.append(index)
                message.frames.append([])
            } else {
                let start = buffer.pointer! + index * maxFrameSize
                message.frames.append(Array(UnsafeBufferPointer(start: start, count: sizes[index])))
            }
        }
        message.anyFrameOversized = info.any_oversized != 0
        message.forwarded = info.forwarded != 0
        return message
    }

    /// Reports this socket's connection events (`ZMQMonitorEvent`) on a PAIR
    /// socket that connects to `endpoint` (an inproc one).
    public func monitor(_ endpoint: String, events: Int32) throws(ZMQError) {
        guard zmq_socket_monitor(handle, endpoint, events) == 0 else {
            throw ZMQError(call: "zmq_socket_monitor \(endpoint)")
        }
    }

    /// Reads one event from a monitor's PAIR socket, nil when none is there.
    public func receiveMonitorEvent() throws(ZMQError) -> (event: Int32, value: UInt32)? {
        guard let message = try receive(wait: false, maxFrames: 1, maxFrameSize: 64) else { return nil }
        var event: UInt32 = 0
        var value: UInt32 = 0
        let rc = message.frames.first.map { frame in
            frame.withUnsafeBytes { wpm_zmq_monitor_event($0.baseAddress, $0.count, &event, &value) }
        } ?? -1
        return rc == 0 ? (Int32(event), value) : nil
    }
}

/// The memory one thread's `relay` calls copy frames into.
public final class ZMQRelayBuffer {
    fileprivate var pointer: UnsafeMutablePointer<UInt8>?
    private var capacity = 0

    public init() {}

    fileprivate func bytes(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if capacity < count {
            pointer?.deallocate()
            pointer = .allocate(capacity: count)
            capacity = count
        }
        return pointer!
    }

    deinit { pointer?.deallocate() }
}

/// Socket monitor events by name (`ZMQSocket.monitor`).
public enum ZMQMonitorEvent {
    public static let accepted = Int32(ZMQ_EVENT_ACCEPTED)
    public static let disconnected = Int32(ZMQ_EVENT_DISCONNECTED)
    public static let handshakeFailedNoDetail = Int32(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    public static let handshakeFailedProtocol = Int32(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
    public static let handshakeFailedAuth = Int32(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    public static let monitorStopped = Int32(ZMQ_EVENT_MONITOR_STOPPED)
}

/// Waits on several sockets and plain file descriptors at once (`zmq_poll`).
public final class ZMQPoller {
    private var items: [zmq_pollitem_t]

    /// Sockets first, then descriptors; `isReadable` takes the same indices.
    public init(sockets: [ZMQSocket], fds: [Int32] = []) {
        items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
            + fds.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
    }

    /// Waits up to `timeout` milliseconds (-1: forever).
    public func wait(timeout: Int) throws(ZMQError) {
        let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), timeout) }
        guard rc >= 0 else { throw ZMQError(call: "zmq_poll") }
    }

    public func isReadable(_ index: Int) -> Bool {
        items[index].revents & Int16(ZMQ_POLLIN) != 0
    }
}
