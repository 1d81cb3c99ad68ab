import SystemHelpers
import SystemPackage

/// The manager's signals as an `AsyncStream` of signal numbers: the signal
/// pipe (SystemHelpers) is read by a dedicated thread.
public final class SignalStream: Sendable {
    public let signals: AsyncStream<Int32>

    /// Installs the handler for `numbers`. Call once per process.
    public init(_ numbers: [Int32]) throws {
        let pipe = try SignalPipe(numbers)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.signals = stream
        DetachedThread.start(name: "wpm-signals") {
            while let arrived = pipe.wait() {
                for signal in arrived { continuation.yield(signal) }
            }
            continuation.finish()
        }
    }
}
