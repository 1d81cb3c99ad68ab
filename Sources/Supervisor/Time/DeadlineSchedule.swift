import HeapModule

/// Every deadline the supervisor keeps, as a pure value: at most one
/// deadline per target, the earliest first. No clock is read here: the
/// caller says what time it is (`due(at:)`) and arms its timer for `next`.
///
/// Moving or cancelling a deadline costs no heap operation: the entry left
/// in the heap no longer matches its target's deadline and is skipped when
/// it comes up (a keep-alive, which only moves a worker's stall deadline
/// later, touches nothing here; the pool finds the later deadline when the
/// old one comes up).
struct DeadlineSchedule<Target: Hashable> {
    private struct Entry: Comparable {
        var at: ContinuousClock.Instant
        var target: Target
        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at }
        static func == (a: Entry, b: Entry) -> Bool { a.at == b.at && a.target == b.target }
    }

    private var heap = Heap<Entry>()
    /// The one live deadline of each target.
    private var live: [Target: ContinuousClock.Instant] = [:]

    init() {}

    /// The deadline of `target`, if it has one.
    func deadline(of target: Target) -> ContinuousClock.Instant? { live[target] }

    /// How many targets have a deadline.
    var count: Int { live.count }

    var isEmpty: Bool { live.isEmpty }

    /// The earliest deadline, if any.
    var next: ContinuousClock.Instant? { heap.min?.at }

    /// Gives `target` the deadline `instant`, replacing the one it had.
    mutating func schedule(_ target: Target, at instant: ContinuousClock.Instant) {
        if live[target] == instant { return }
        live[target] = instant
        heap.insert(Entry(at: instant, target: target))
        dropStale()
    }

    /// Gives `target` the deadline `instant` unless it has one that is no later.
    mutating func schedule(_ target: Target, noLaterThan instant: ContinuousClock.Instant) {
        if let existing = live[target], existing <= instant { return }
        schedule(target, at: instant)
    }

    /// Removes the deadline of `target`, if it has one.
    mutating func cancel(_ target: Target) {
        live[target] = nil
        dropStale()
    }

    /// Removes every deadline whose target `matches`.
    mutating func cancelAll(where matches: (Target) -> Bool) {
        for target in live.keys where matches(target) { live[target] = nil }
        dropStale()
    }

    /// Takes the earliest deadline due at `now` (at or before it), if any:
    /// its target no longer has a deadline. Call until nil.
    mutating func popDue(at now: ContinuousClock.Instant) -> (target: Target, at: ContinuousClock.Instant)? {
        guard let first = heap.min, first.at <= now else { return nil }
        _ = heap.removeMin()
        live[first.target] = nil
        dropStale()
        return (first.target, first.at)
    }

    /// Every deadline due at `now`, earliest first (their targets no longer have one).
    mutating func due(at now: ContinuousClock.Instant) -> [Target] {
        var targets: [Target] = []
        while let (target, _) = popDue(at: now) { targets.append(target) }
        return targets
    }

    /// Leftover entries at the top of the heap go, so that `next` is a live
    /// deadline (each entry is removed once: no more heap work than the
    /// insert that made it).
    private mutating func dropStale() {
        while let first = heap.min, live[first.target] != first.at { _ = heap.removeMin() }
    }
}
