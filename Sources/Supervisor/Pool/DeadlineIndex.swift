import Glibc
import HeapModule

/// Deadlines by pid with the earliest at hand: setting or removing one costs
/// O(log n) (a heap whose stale entries are dropped as they reach its top),
/// reading the earliest O(1). The SIGKILL deadlines of a pool's stopping
/// workers: a stop of 10 000 workers took the minimum of all those left at
/// each reap (50 million comparisons).
struct DeadlineIndex: Sendable {
    private struct Entry: Comparable, Sendable {
        let at: ContinuousClock.Instant
        let pid: pid_t
        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at }
    }

    private(set) var byPid: [pid_t: ContinuousClock.Instant] = [:]
    private var heap = Heap<Entry>()

    subscript(pid: pid_t) -> ContinuousClock.Instant? {
        get { byPid[pid] }
        set {
            guard byPid[pid] != newValue else { return }
            byPid[pid] = newValue
            if let newValue { heap.insert(Entry(at: newValue, pid: pid)) }
            // Every entry on top is live (the one `earliest` reads).
            while let top = heap.min, byPid[top.pid] != top.at { _ = heap.removeMin() }
        }
    }

    var earliest: ContinuousClock.Instant? { heap.min?.at }
}
