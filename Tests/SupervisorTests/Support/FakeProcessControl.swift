import Foundation
import Synchronization

@testable import Supervisor

/// A `ProcessControl` where nothing runs: spawns wait until the test starts
/// them (`startSpawns`), signals are recorded, and a pid exits when the test
/// says so (`exit`). Process groups are tracked: a worker's group lives
/// while its leader does, or longer when the test says a member stays
/// behind; SIGKILL to a group empties it.
final class FakeProcessControl: ProcessControl {
    struct Signal: Hashable, CustomStringConvertible {
        var pid: pid_t
        var signal: Int32
        /// To the process group (else to the process alone).
        var group: Bool
        var description: String { "\(group ? "-" : "")\(pid):\(SignalName.of(signal))" }
    }

    private struct State {
        var nextPid: pid_t = 1000
        /// Pids to hand out before counting on (a reused number).
        var reusedPids: [pid_t] = []
        /// Spawns asked for and not started, in order.
        var backlog: [TaskSpec] = []
        var held = false
        var alive: Set<pid_t> = []
        var groups: Set<pid_t> = []
        var exited: [(pid: pid_t, status: Int32)] = []
        var unreported: Set<pid_t> = []
        var signals: [Signal] = []
        /// Signals and searches for escaped descendants, in the order made.
        var steps: [String] = []
        var spawnsClosed = false
        var failure: String?
        /// Tasks whose failed spawn the supervisor has not taken yet.
        var failed: Set<String> = []
    }

    private let state = Mutex(State())
    let spawnResults: AsyncStream<SpawnQueue.Result>
    private let results: AsyncStream<SpawnQueue.Result>.Continuation

    init() {
        (spawnResults, results) = AsyncStream.makeStream()
    }

    // MARK: what the test does

    /// The next spawns get these pids (numbers a reused pid would have).
    /// Signals and searches for escaped descendants since the last call, in order.
    func takeSteps() -> [String] { state.withLock { s in defer { s.steps = [] }; return s.steps } }

    func reusePids(_ pids: [pid_t]) { state.withLock { $0.reusedPids += pids } }

    /// The next spawns fail with `message`.
    func failSpawns(_ message: String?) { state.withLock { $0.failure = message } }

    /// Starts every spawn waiting, at `at`; returns their results for the supervisor.
    func startSpawns(at: Moment) -> [SpawnQueue.Result] {
        state.withLock { s in
            var started: [SpawnQueue.Result] = []
            while !s.held, let index = s.backlog.firstIndex(where: { !s.failed.contains($0.name) }) {
                let spec = s.backlog.remove(at: index)
                if let failure = s.failure {
                    s.failed.insert(spec.name)
                    started.append(.init(task: spec.name, outcome: .failed(message: failure)))
                    continue
                }
                let pid: pid_t
                if s.reusedPids.isEmpty {
                    pid = s.nextPid
                    s.nextPid += 1
                } else {
                    pid = s.reusedPids.removeFirst()
                }
                s.alive.insert(pid)
                s.groups.insert(pid)
                s.unreported.insert(pid)
                started.append(.init(task: spec.name, outcome: .spawned(pid: pid, at: at)))
            }
            return started
        }
    }

    /// `pid` exits with `status` (a wait status); `leavesGroup`: a member
    /// of its process group stays behind.
    func exit(_ pid: pid_t, status: Int32 = 0, leavesGroup: Bool = false) {
        state.withLock {
            guard $0.alive.remove(pid) != nil else { return }
            if !leavesGroup { $0.groups.remove(pid) }
            $0.exited.append((pid, status))
        }
    }

    /// What was left of the process group `pgid` ends.
    func emptyGroup(_ pgid: pid_t) { _ = state.withLock { $0.groups.remove(pgid) } }

    /// Every signal sent so far, in order; `take` clears them.
    var signals: [Signal] { state.withLock { $0.signals } }
    func takeSignals() -> [Signal] {
        state.withLock { s in
            defer { s.signals = [] }
            return s.signals
        }
    }
    var waitingSpawns: Int { state.withLock { $0.backlog.count } }
    var alive: Set<pid_t> { state.withLock { $0.alive } }
    var spawnsClosed: Bool { state.withLock { $0.spawnsClosed } }

    // MARK: ProcessControl

    func spawn(_ spec: TaskSpec, count: Int) {
        state.withLock { $0.backlog += Array(repeating: spec, count: max(0, count)) }
    }

    func cancelSpawns(task: String, upTo count: Int) -> Int {
        state.withLock { s in
            var dropped = 0
            while dropped < count, let index = s.backlog.lastIndex(where: { $0.name == task }) {
                s.backlog.remove(at: index)
                dropped += 1
            }
            return dropped
        }
    }

    func holdingSpawns<R>(_ body: () -> R) -> R {
        state.withLock { $0.held = true }
        defer { state.withLock { $0.held = false } }
        return body()
    }

    func failureTaken(task: String) { _ = state.withLock { $0.failed.remove(task) } }

    func reported(_ pid: pid_t) { _ = state.withLock { $0.unreported.remove(pid) } }

    func withoutSpawning<R>(pgid: pid_t, _ body: (Bool) -> R) -> R {
        body(state.withLock { $0.unreported.contains(pgid) })
    }

    func closeSpawning() { state.withLock { $0.spawnsClosed = true } }

    func signalGroupOrLeader(_ pgid: pid_t, _ signal: Int32) {
        state.withLock {
            let group = $0.groups.contains(pgid)
            $0.signals.append(Signal(pid: pgid, signal: signal, group: group))
            $0.steps.append("signal \(pgid)")
            if signal == SIGKILL, group { $0.groups.remove(pgid) }
        }
    }

    func signalGroup(_ pgid: pid_t, _ signal: Int32) {
        state.withLock {
            $0.signals.append(Signal(pid: pgid, signal: signal, group: true))
            if signal == SIGKILL { $0.groups.remove(pgid) }
        }
    }

    func groupExists(_ pgid: pid_t) -> Bool { state.withLock { $0.groups.contains(pgid) } }

    func becomeSubreaper() -> Int32 { EPERM }

    func firstExitedChild() -> pid_t? { state.withLock { $0.exited.first?.pid } }

    func reap(_ pid: pid_t) -> Int32? {
        state.withLock { s in
            guard let index = s.exited.firstIndex(where: { $0.pid == pid }) else { return nil }
            return s.exited.remove(at: index).status
        }
    }

    func mayHaveExited(_ pid: pid_t) -> Bool { state.withLock { !$0.alive.contains(pid) } }

    func descendantsOutsideGroup(of pid: pid_t) -> [pid_t] {
        state.withLock { $0.steps.append("search \(pid)") }
        return []
    }
    func children() -> [pid_t] { state.withLock { Array($0.alive) } }
    func taskName(of pid: pid_t) -> String? { nil }
    func openHandle(_ pid: pid_t) -> Int32? { nil }
    func signal(handle: Int32, _ signal: Int32) -> Bool { false }
    func closeHandle(_ handle: Int32) {}
}

/// Wait statuses as `waitpid` gives them.
enum WaitStatus {
    static func exited(_ code: Int32) -> Int32 { (code & 0xff) << 8 }
    static func killed(by signal: Int32) -> Int32 { signal & 0x7f }
}
