import Glibc
import NIOCore

/// Stops the HTTP API's listening socket from spinning when the process has
/// no descriptor left.
///
/// accept(2) then fails with EMFILE (or ENFILE, ENOBUFS, ENOMEM) while the
/// connection stays queued; NIO (2.101) keeps the socket in its
/// level-triggered poll set while a read is pending, so it would try again
/// at once, for as long as the connection stays queued: one core at 100 %
/// (NIO's own accept backoff only delays reads it is asked for). First in
/// the listening channel's pipeline, this handler turns reading off on
/// such an error and on again `pause` later: one accept attempt per pause,
/// queued connections wait (unanswered) in the kernel's backlog, and the
/// API serves again within a pause of descriptors being free (README,
/// "Faults").
public final class AcceptPause: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = Channel
    public typealias InboundOut = Channel

    private let pause: TimeAmount
    private var resume: Scheduled<Void>?

    public init(pause: TimeAmount = .milliseconds(200)) {
        self.pause = pause
    }

    /// Puts a pause in front of `server` (the listening channel).
    public static func install(on server: any Channel) async throws {
        try await server.eventLoop.submit {
            try server.pipeline.syncOperations.addHandler(AcceptPause(), position: .first)
        }.get()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if resume == nil, let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode),
            let options = context.channel.syncOptions
        {
            try? options.setOption(ChannelOptions.autoRead, value: false)
            resume = context.eventLoop.assumeIsolated().scheduleTask(in: pause) {
                self.resume = nil
                try? options.setOption(ChannelOptions.autoRead, value: true)
            }
        }
        context.fireErrorCaught(error)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
    }
}
