import FoundationEssentials
import NIOCore
import Supervisor

/// The text body of `GET /tasks/NAME/list`, one line per worker:
///
///     Task: NAME,<TAB>Pid: PID,<TAB>Started: TIME,<TAB>Last alive at: TIME (N seconds ago)
///
/// then, each only when it applies, `,<TAB>State: `, `Stop reason: `,
/// `Ready: false`, `Status: `, `Job: `, `Message: ` (worker-supplied text on
/// one line: `TextFormat.oneLine`). Written byte by byte into one buffer:
/// building each line from interpolated strings cost about 3 ms for 1000
/// workers (about 350 lists a second); this writes the same bytes in a
/// small fraction of that.
enum WorkerListText {
    static func render(_ workers: [WorkerStatus], now: Date) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(workers.count * 160)
        var times = TimeCache()
        for worker in workers {
            // Worker-supplied text first: its length decides the room the line needs.
            let reason = worker.stopReason.map(oneLine)
            let job = worker.job.map(oneLine)
            let message = worker.message.map(oneLine)
            let started = times.text(worker.startedAt)
            let alive = times.text(worker.lastAliveAt)
            let ago = max(0, Int(now.timeIntervalSince(worker.lastAliveAt)))
            let room =
                200 + worker.task.utf8.count + worker.state.utf8.count + (reason?.utf8.count ?? 0)
                + (worker.status?.utf8.count ?? 0) + (job?.utf8.count ?? 0) + (message?.utf8.count ?? 0)
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { raw in
                var line = RawWriter(raw.baseAddress!)
                line.put("Task: ")
                line.put(worker.task)
                line.put(",\tPid: ")
                line.putDecimal(Int(worker.pid))
                line.put(",\tStarted: ")
                line.put(started)
                line.put(",\tLast alive at: ")
                line.put(alive)
                line.put(" (")
                line.putDecimal(ago)
                line.put(" seconds ago)")
                if worker.state != "running" {
                    line.put(",\tState: ")
                    line.put(worker.state)
                }
                if let reason {
                    line.put(",\tStop reason: ")
                    line.put(reason)
                }
                if !worker.ready { line.put(",\tReady: false") }
                if let status = worker.status {
                    line.put(",\tStatus: ")
                    line.put(status)
                }
                if let job {
                    line.put(",\tJob: ")
                    line.put(job)
                }
                if let message {
                    line.put(",\tMessage: ")
                    line.put(message)
                }
                line.put("\n")
                return line.position
            }
        }
        return out
    }

    /// `TextFormat.oneLine(text)`; text with no byte that may start a line
    /// break or a tab (the common case) is kept as it is.
    private static func oneLine(_ text: String) -> String {
        let plain = text.utf8.allSatisfy { !(0x09...0x0D).contains($0) && $0 != 0xC2 && $0 != 0xE2 }
        return plain ? text : TextFormat.oneLine(text)
    }

    /// The last time written and its text: workers started together, or
    /// beaten in the same second, share it.
    private struct TimeCache {
        var seconds = Int.min
        var last: RFC3339Time.Bytes = (0, 0, 0)

        mutating func text(_ date: Date) -> RFC3339Time.Bytes {
            let whole = Int(date.timeIntervalSince1970.rounded(.down))
            if whole != seconds {
                seconds = whole
                last = RFC3339Time.bytes(seconds: whole)
            }
            return last
        }
    }
}

/// Writes bytes one after the other from `base`; the caller made the room.
struct RawWriter {
    let base: UnsafeMutableRawPointer
    var position = 0

    init(_ base: UnsafeMutableRawPointer) { self.base = base }

    mutating func put(_ text: StaticString) {
        (base + position).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        position += text.utf8CodeUnitCount
    }

    mutating func put(_ text: String) {
        var text = text
        let written = text.withUTF8 { utf8 in
            (base + position).copyMemory(from: utf8.baseAddress!, byteCount: utf8.count)
            return utf8.count
        }
        position += written
    }

    /// The 20 bytes of an RFC 3339 time.
    mutating func put(_ time: RFC3339Time.Bytes) {
        var time = time
        (base + position).copyMemory(from: &time, byteCount: 20)
        position += 20
    }

    /// `value` in decimal ASCII digits.
    mutating func putDecimal(_ value: Int) {
        if value < 0 {
            base.storeBytes(of: UInt8(ascii: "-"), toByteOffset: position, as: UInt8.self)
            position += 1
        }
        var rest = value.magnitude
        var digits = 1
        var scale: UInt = 10
        while digits < 20, rest >= scale {
            digits += 1
            scale = scale &* 10
        }
        for offset in stride(from: position + digits - 1, through: position, by: -1) {
            base.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: offset, as: UInt8.self)
            rest /= 10
        }
        position += digits
    }
}

extension ByteBuffer {
    /// `value` in decimal ASCII digits.
    mutating func writeDecimal(_ value: Int) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 21) { raw in
            var writer = RawWriter(raw.baseAddress!)
            writer.putDecimal(value)
            return writer.position
        }
    }
}
