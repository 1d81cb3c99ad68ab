import Foundation
import KeepAlive
import ZeroMQ

/// Sends keep-alives (or anything else) to a manager's inbound port, the way
/// workers do. It connects an XPUB socket and waits for the manager's
/// subscription before the first send, so nothing is lost to a slow join.
final class Publisher: @unchecked Sendable {
    let context: ZMQContext
    let socket: ZMQSocket

    init(_ endpoint: String) throws {
        context = try ZMQContext()
        socket = try ZMQSocket(context, .xpub)
        try socket.set(ZMQOption.sendHighWaterMark, Int32(1_000_000))
        try socket.connect(endpoint)
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while ContinuousClock.now < deadline {
            if try socket.poll(timeout: 100), (try socket.receive(wait: false)) != nil { return }
        }
        throw HarnessError("no subscription arrived from \(endpoint)")
    }

    deinit {
        socket.close()
        context.shutdown()
    }

    func send(_ frames: [[UInt8]]) throws {
        try socket.send(frames)
    }

    func send(_ frames: [String]) throws {
        try send(frames.map { Array($0.utf8) })
    }

    /// A keep-alive in the PHP workers' spelling.
    func beat(_ task: String, pid: pid_t, extra: String = "") throws {
        try send([task, #"{"taskname":"\#(task)","pid":\#(pid)\#(extra)}"#])
    }
}
