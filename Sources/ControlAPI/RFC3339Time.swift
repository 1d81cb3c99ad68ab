import FoundationEssentials
import Glibc

/// RFC 3339 UTC times in whole seconds (`2026-11-23T15:12:40Z`), as the
/// text bodies show them, written from `gmtime_r` digits: the worker list
/// writes two per worker, and `Date.formatted(.iso8601…)` made most of the
/// cost of a 1000-worker list (about 120–400 lists a second).
enum RFC3339Time {
    static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "" }
        var bytes = [UInt8](repeating: 0, count: 20)
        func put(_ value: Int32, _ width: Int, at offset: Int) {
            var rest = Int(value)
            for i in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
        }
        put(parts.tm_year + 1900, 4, at: 0)
        bytes[4] = UInt8(ascii: "-")
        put(parts.tm_mon + 1, 2, at: 5)
        bytes[7] = UInt8(ascii: "-")
        put(parts.tm_mday, 2, at: 8)
        bytes[10] = UInt8(ascii: "T")
        put(parts.tm_hour, 2, at: 11)
        bytes[13] = UInt8(ascii: ":")
        put(parts.tm_min, 2, at: 14)
        bytes[16] = UInt8(ascii: ":")
        put(parts.tm_sec, 2, at: 17)
        bytes[19] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }
}
