import CShims
import FoundationEssentials
import Glibc
import NIOConcurrencyHelpers
import SystemHelpers
import SystemPackage

/// Watches the workers' output pipes with an epoll set on one thread of its
/// own and hands what is readable to each pipe's `PipeReader`. At end of
/// file (or an error) the reader finishes and the pipe is closed, on that
/// thread. Adding a pipe and each readiness cost the same for 10 and for
/// 10 000 pipes (a poll(2) set, as before, was rebuilt and scanned whole at
/// every pipe added: a 10 000-worker start spent most of its time there).
///
/// Not dispatch read sources: with them (as before) and the output writers'
/// threads, the manager crashed inside libdispatch's event loop
/// (`_dispatch_event_loop_drain`) in about one task stop in fifteen, right
/// after a pipe's source was cancelled and its descriptor closed
/// (swift-corelibs-libdispatch issue 949). This thread of our own has not.
final class PipePoller: @unchecked Sendable {
    private let lock = NIOLock()
    // Guarded by `lock`.
    private var readers: [Int32: PipeReader] = [:]
    private let epoll: Int32

    init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        if epoll < 0 { fatalError("wpmanager: cannot make an epoll set: \(String(cString: strerror(errno)))") }
        DetachedThread.start(name: "wpm-output-pipes") { [self] in run() }
    }

    /// Pipes being followed (closed ones are gone once their reader finished).
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return readers.count
    }

    /// Follows `fd` (non-blocking) until its end; it is closed then.
    func add(_ fd: Int32, _ reader: PipeReader) {
        lock.lock()
        readers[fd] = reader
        lock.unlock()
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.fd = fd
        if epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0 {
            // Not watched: its reader ends now, as at end of file.
            lock.lock()
            readers[fd] = nil
            lock.unlock()
            reader.finish()
            close(fd)
        }
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        // One read buffer for every worker's pipe.
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let ready = retryingOnInterrupt {
                events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, Int32($0.count), -1) }
            }
            guard ready > 0 else { continue }
            for index in 0..<Int(ready) {
                let fd = events[index].data.fd
                lock.lock()
                let reader = readers[fd]
                lock.unlock()
                guard let reader, !reader.drain(FileDescriptor(rawValue: fd), buffer: &buffer) else { continue }
                reader.finish()
                _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
                lock.lock()
                readers[fd] = nil
                close(fd)  // under the lock: a new pipe with this number comes after
                lock.unlock()
            }
        }
    }
}
