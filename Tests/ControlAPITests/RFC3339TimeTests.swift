import Foundation
import Testing

@testable import ControlAPI

/// The text bodies' times (written from the civil date of the day count):
/// what `Date.formatted(.iso8601…)` wrote before, digit for digit, whole
/// seconds (a fraction is dropped, not rounded).
@Suite struct RFC3339TimeTests {
    static func reference(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
                .timeSeparator(.colon).timeZone(separator: .omitted))
    }

    @Test func matchesTheISO8601FormatStyle() {
        var dates = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            Date(timeIntervalSince1970: 1_795_000_000.999), Date(timeIntervalSince1970: 4_102_444_799.5),  // 2099-12-31T23:59:59
            Date(timeIntervalSince1970: 1_700_000_000.000_001),
            // Before 1970 (a clock set wrong): the day count is negative.
            Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: -1_000_000_000.5),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator))) }
        for date in dates {
            #expect(RFC3339Time.format(date) == Self.reference(date), "\(date.timeIntervalSince1970)")
        }
        #expect(RFC3339Time.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }
}
