import Glibc
import SystemHelpers
import Testing

/// The small system helpers every target shares (Sources/SystemHelpers).
@Suite struct SystemHelpersTests {
    @Test func durationsInWholeMillisecondsRoundDown() {
        #expect(Duration.seconds(2).milliseconds == 2000)
        #expect(Duration.microseconds(1999).milliseconds == 1)
        #expect(Duration.nanoseconds(999_999).milliseconds == 0)
        #expect((Duration.seconds(3) + .milliseconds(250)).milliseconds == 3250)
    }

    @Test func bothEndsOfThePipeAreNonBlockingAndCloseOnExec() throws {
        let pipe = try NonBlockingPipe()
        defer { pipe.close() }
        for fd in [pipe.readEnd, pipe.writeEnd] {
            #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        }
        // Empty: a read says so at once instead of waiting.
        var byte: UInt8 = 0
        #expect(read(pipe.readEnd, &byte, 1) == -1)
        #expect(errno == EAGAIN)
    }

    @Test func writeAllWritesEverythingAndSaysHowMuchWhenStopped() throws {
        let pipe = try NonBlockingPipe()
        defer { pipe.close() }
        #expect(writeAll(pipe.writeEnd, Array("hello".utf8)) == 5)
        var buffer = [UInt8](repeating: 0, count: 16)
        let got = retryingOnInterrupt { buffer.withUnsafeMutableBytes { read(pipe.readEnd, $0.baseAddress, $0.count) } }
        #expect(Array(buffer[..<got]) == Array("hello".utf8))
        // A full non-blocking pipe stops it short, with errno saying why.
        let big = [UInt8](repeating: 7, count: 1 << 20)
        let written = writeAll(pipe.writeEnd, big)
        #expect(written > 0 && written < big.count)
        #expect(errno == EAGAIN)
    }

    @Test func retryingOnInterruptReturnsTheFirstOtherResult() {
        var calls = 0
        let result: Int32 = retryingOnInterrupt {
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            errno = EBADF
            return -1
        }
        #expect(result == -1)
        #expect(calls == 3)
        #expect(errno == EBADF)
        #expect(retryingOnInterrupt { Int32(5) } == 5)
    }
}

/// The signal pipe of wpmanager and wpconsole, in this process: SIGUSR2
/// (which nothing else in the tests uses) becomes a byte on the pipe.
@Suite struct SignalPipeTests {
    @Test func aSignalArrivesAsItsNumberOnce() throws {
        let pipe = try SignalPipe([SIGUSR2])
        #expect(pipe.drain().isEmpty)
        raise(SIGUSR2)
        raise(SIGUSR2)
        #expect(pipe.wait() == [SIGUSR2, SIGUSR2])
        #expect(pipe.drain().isEmpty)
    }
}
