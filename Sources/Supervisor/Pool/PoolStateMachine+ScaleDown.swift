import FoundationEssentials
import Glibc
import KeepAlive

/// Which workers a scale-down stops: by what each last reported, those
/// that cost least first (see `StopClass`), newest first within a class.
/// Each choice is reported (`PoolReport.stopChosen`) with its reason.
extension PoolStateMachine {
    /// `count` running workers to stop, each with why it was chosen.
    func scaleDownVictims(count: Int) -> [(pid: pid_t, why: String)] {
        let running = workers.values.filter(\.isRunning).map { (worker: $0, stopClass: StopClass(of: $0)) }
        let order = running.sorted {
            $0.stopClass != $1.stopClass ? $0.stopClass < $1.stopClass : $0.worker.sequence > $1.worker.sequence
        }
        return order.prefix(count).map { ($0.worker.pid, $0.stopClass.reason(job: $0.worker.job)) }
    }

    /// Stops `pid`, chosen by the pool, and reports why.
    mutating func stopChosen(_ pid: pid_t, reason: String, now: Moment) -> [PoolAction] {
        workers[pid]?.stopReason = reason
        let actions = terminate(pid, now: now)
        let draining = actions.contains(.signal(pid: pid, .drain))
        reports.append(.stopChosen(pid: pid, reason: reason, draining: draining))
        return actions
    }
}

/// How much stopping a worker costs, from what it last reported: the order
/// in which a pool with too many workers stops them.
enum StopClass: Int, Comparable, Sendable {
    /// Not ready yet: it serves nothing.
    case notReady
    /// Its last keep-alive said `ready` (idle) or `stopping`.
    case idle
    /// It reports no status: whether it is busy is unknown.
    case noStatus
    /// Its last keep-alive said `working`.
    case working

    init(of worker: WorkerRecord) {
        guard worker.isReady else {
            self = .notReady
            return
        }
        switch worker.reportedStatus {
        case .ready?, .stopping?: self = .idle
        case .working?: self = .working
        case nil: self = .noStatus
        }
    }

    static func < (a: StopClass, b: StopClass) -> Bool { a.rawValue < b.rawValue }

    func reason(job: String?) -> String {
        switch self {
        case .notReady: "not ready"
        case .idle: "idle (ready)"
        case .noStatus: "no status"
        case .working: "working" + (job.map { " (job \($0))" } ?? "")
        }
    }
}
