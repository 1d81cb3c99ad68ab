import FoundationEssentials
import Glibc
import NIOConcurrencyHelpers
import SystemHelpers
import SystemPackage

/// Watches the workers' output pipes with poll(2) on one thread of its own
/// and hands what is readable to each pipe's `PipeReader`. At end of file
/// (or an error) the reader finishes and the pipe is closed, on that thread.
///
/// Not dispatch read sources: with them (as before) and the output writers'
/// threads, the manager crashed inside libdispatch's event loop
/// (`_dispatch_event_loop_drain`) in about one task stop in fifteen, right
/// after a pipe's source was cancelled and its descriptor closed; the cause
/// was not found. This thread of our own has not crashed in 160 such stops.
final class PipePoller: @unchecked Sendable {
    private let lock = NIOLock()
    // Guarded by `lock`.
    private var readers: [Int32: PipeReader] = [:]
    private var generation = 0
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init() {
        let pipe: NonBlockingPipe
        do { pipe = try NonBlockingPipe() } catch { fatalError("wpmanager: cannot make a pipe: \(error)") }
        (wakeRead, wakeWrite) = (pipe.readEnd, pipe.writeEnd)
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
        generation += 1
        lock.unlock()
        var byte: UInt8 = 0
        _ = write(wakeWrite, &byte, 1)  // a full pipe already holds a wake-up
    }

    private func run() {
        var polled: [pollfd] = []
        var seen = -1
        // One read buffer for the wake-up pipe and every worker's pipe.
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            lock.lock()
            if seen != generation {
                seen = generation
                polled = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
                    + readers.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            }
            lock.unlock()
            let ready = poll(&polled, nfds_t(polled.count), -1)
            if ready < 0 { continue }  // EINTR
            if polled[0].revents != 0 {
                while buffer.withUnsafeMutableBytes({ read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
            }
            for index in 1..<polled.count where polled[index].revents != 0 {
                let fd = polled[index].fd
                polled[index].revents = 0
                lock.lock()
                let reader = readers[fd]
                lock.unlock()
                guard let reader, !reader.drain(FileDescriptor(rawValue: fd), buffer: &buffer) else { continue }
                reader.finish()
                lock.lock()
                readers[fd] = nil
                generation += 1
                close(fd)  // under the lock: a new pipe with this number comes after
                lock.unlock()
            }
        }
    }
}
