/// Splits a `text/event-stream` body (as it arrives, in chunks of any size)
/// into the `data` of each event. Comments (`:`), `id:`, `event:` and
/// `retry:` lines are read past; several `data:` lines of one event are
/// joined with newlines; CR LF and LF both end a line.
struct ServerSentEvents {
    private var pending: [UInt8] = []
    private var data: [String] = []
    /// Whether anything (even a comment) has come yet.
    private(set) var started = false

    /// Feeds the next bytes; returns the events they complete.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        var events: [String] = []
        for byte in bytes {
            guard byte == UInt8(ascii: "\n") else {
                pending.append(byte)
                continue
            }
            if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
            let line = String(decoding: pending, as: UTF8.self)
            pending.removeAll(keepingCapacity: true)
            started = true
            if line.isEmpty {
                if !data.isEmpty { events.append(data.joined(separator: "\n")) }
                data.removeAll()
            } else if line.hasPrefix("data:") {
                var value = line.dropFirst(5)
                if value.first == " " { value = value.dropFirst() }
                data.append(String(value))
            }
        }
        return events
    }
}
