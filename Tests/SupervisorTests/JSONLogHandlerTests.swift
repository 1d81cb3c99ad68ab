import Foundation
import Logging
import Testing

@testable import Supervisor

@Suite struct JSONLogHandlerTests {
    func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().contains("\n") == false)
        let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(value as? [String: Any])
    }

    @Test func oneObjectPerLineWithTimeLevelMessageAndMetadataAsFields() throws {
        let line = JSONLogHandler.line(
            time: "2026-11-27T20:45:11.123Z", level: .notice, message: "worker exited",
            metadata: [
                "task": "Example", "pid": .stringConvertible(Int32(4242)), "status": "exit status 3",
                "flag": .stringConvertible(true), "list": ["a", .stringConvertible(2)], "nested": ["k": "v"],
            ])
        let json = try object(line)
        #expect(json["time"] as? String == "2026-11-27T20:45:11.123Z")
        #expect(json["level"] as? String == "notice")
        #expect(json["message"] as? String == "worker exited")
        #expect(json["task"] as? String == "Example")
        #expect(json["pid"] as? Int == 4242)
        #expect(json["status"] as? String == "exit status 3")
        #expect(json["flag"] as? Bool == true)
        #expect((json["list"] as? [Any])?.count == 2)
        #expect((json["nested"] as? [String: String]) == ["k": "v"])
        // Fixed fields first, then the metadata sorted by key.
        #expect(line.hasPrefix(#"{"time":"2026-11-27T20:45:11.123Z","level":"notice","message":"worker exited","flag":true,"#))
    }

    @Test func textIsEscapedAndFixedNamesAreNotOverwritten() throws {
        let message = "quote \" backslash \\ newline \n tab \t bell \u{07} é ✓"
        let line = JSONLogHandler.line(
            time: "t", level: .error, message: message, metadata: ["message": "from metadata", "level": "x"])
        let json = try object(line)
        #expect(json["message"] as? String == message)
        #expect(json["level"] as? String == "error")
        #expect(json["meta_message"] as? String == "from metadata")
        #expect(json["meta_level"] as? String == "x")
    }

    @Test func timestampsAreRFC3339UTCToTheMillisecond() {
        #expect(LogTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(LogTimestamp.format(Date(timeIntervalSince1970: 1_795_207_511.0456)) == "2026-11-20T20:45:11.045Z")
        let now = LogTimestamp.now()
        #expect(now.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil, "\(now)")
    }

    @Test func theHandlerWritesThroughItsOutputWithMergedMetadata() throws {
        let fds = try FileDescriptorPair()
        var handler = JSONLogHandler(output: LogOutput(fd: fds.write))
        handler.logLevel = .info
        handler[metadataKey: "component"] = "test"
        var logger = Logger(label: "t") { _ in handler }
        logger.logLevel = .info
        logger.info("hello", metadata: ["task": "A", "pid": .stringConvertible(7)])
        logger.debug("not shown")
        logger.warning("second")
        let lines = fds.readAvailable().split(separator: "\n").map { String($0) + "\n" }
        #expect(lines.count == 2)
        let first = try object(lines[0])
        #expect(first["message"] as? String == "hello")
        #expect(first["component"] as? String == "test")
        #expect(first["pid"] as? Int == 7)
        #expect(try object(lines[1])["level"] as? String == "warning")
    }
}

/// A pipe whose read end is non-blocking, for reading what was written so far.
final class FileDescriptorPair {
    let read: Int32
    let write: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        (read, write) = (fds[0], fds[1])
        _ = fcntl(read, F_SETFL, O_NONBLOCK)
    }

    deinit {
        close(read)
        close(write)
    }

    func readAvailable() -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }
}
