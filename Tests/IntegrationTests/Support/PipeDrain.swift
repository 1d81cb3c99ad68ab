import Foundation

/// Reads a child's output pipe to its end with blocking reads on a thread
/// of its own, handing each piece to `append` and calling `ended` at the
/// end. Not `FileHandle.readabilityHandler`: on Linux its dispatch read
/// source, torn down while others are being set up, can leave libdispatch
/// a freed epoll muxnote, and the whole test process then crashes in
/// `_dispatch_event_loop_drain` (swift-corelibs-libdispatch issue 949). It
/// did here, in about one whole run in two once the suites grew.
enum PipeDrain {
    /// Reads `handle`'s descriptor through a duplicate of its own (closed
    /// here, at the end), so whoever closes `handle` cannot pull it away
    /// from under a read.
    static func start(
        _ handle: FileHandle, ended: @escaping @Sendable () -> Void = {}, _ append: @escaping @Sendable (Data) -> Void
    ) {
        let fd = fcntl(handle.fileDescriptor, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else {
            ended()
            return
        }
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    append(Data(buffer[0..<count]))
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(fd)
            ended()
        }
    }
}
