import FoundationEssentials
import Glibc

/// RFC 3339 UTC times in whole seconds (`2026-11-23T15:12:40Z`), as the
/// text bodies show them, written from the date's own digits (the civil
/// date of a day count, as in proleptic Gregorian): the worker list writes
/// two per worker; `Date.formatted(.iso8601…)` made most of the cost of a
/// 1000-worker list, and `gmtime_r` takes glibc's time-zone lock.
enum RFC3339Time {
    /// 20 bytes of text (and 4 of padding), with no allocation.
    typealias Bytes = (UInt64, UInt64, UInt32)

    static func format(_ date: Date) -> String {
        let text = bytes(seconds: Int(date.timeIntervalSince1970.rounded(.down)))
        return withUnsafeBytes(of: text) { String(decoding: $0.prefix(20), as: UTF8.self) }
    }

    /// The 20 bytes of the time `seconds` after the Unix epoch.
    static func bytes(seconds: Int) -> Bytes {
        let (days, second) = seconds.floorDivided(by: 86_400)
        let (year, month, day) = civil(days: days)
        var text: Bytes = (0, 0, 0)
        withUnsafeMutableBytes(of: &text) { raw in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var rest = value
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    raw[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(year, 4, at: 0)
            raw[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            raw[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            raw[10] = UInt8(ascii: "T")
            put(second / 3600, 2, at: 11)
            raw[13] = UInt8(ascii: ":")
            put(second / 60 % 60, 2, at: 14)
            raw[16] = UInt8(ascii: ":")
            put(second % 60, 2, at: 17)
            raw[19] = UInt8(ascii: "Z")
        }
        return text
    }

    /// Year, month (1-12) and day (1-31) of `days` after 1970-01-01
    /// (years 0-9999 are what the four digits hold).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // days since 0000-03-01
        let era = shifted.floorDivided(by: 146_097).quotient
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

extension Int {
    /// Quotient rounded toward minus infinity, and the remainder (never negative for a positive divisor).
    func floorDivided(by divisor: Int) -> (quotient: Int, remainder: Int) {
        let (q, r) = quotientAndRemainder(dividingBy: divisor)
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}
