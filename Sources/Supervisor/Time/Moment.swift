import FoundationEssentials
import Glibc

/// A point in time as the supervisor sees it: the monotonic instant for
/// deadlines, the wall clock for what users are shown.
public struct Moment: Sendable, Equatable {
    public var instant: ContinuousClock.Instant
    public var date: Date

    public init(instant: ContinuousClock.Instant, date: Date) {
        self.instant = instant
        self.date = date
    }

    public static func now() -> Moment {
        Moment(instant: .now, date: Date())
    }

    public func advanced(by duration: Duration) -> Moment {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return Moment(instant: instant.advanced(by: duration), date: date.addingTimeInterval(seconds))
    }
}
