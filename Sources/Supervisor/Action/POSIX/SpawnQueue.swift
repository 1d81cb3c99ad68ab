import FoundationEssentials
import Glibc
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Spawns workers on a thread of its own, so the supervisor never waits for
/// a spawn (up to a millisecond each, more on a busy machine): a stall
/// deadline or a control request is never held up behind a pool coming up.
///
/// That thread is also what the workers' parent-death signal is tied to
/// (PR_SET_PDEATHSIG fires when the *thread* that created a child exits, not
/// only when its process does). It is a service: `run` starts the thread
/// and ends it at the group's graceful shutdown, which comes after the
/// supervisor's (every worker is gone); any worker still running then gets
/// SIGTERM, as it does when the manager dies.
///
/// Requests are per task and served round-robin, one spawn at a time, so a
/// large pool coming up does not hold back the replacement of another task's
/// worker. Results come out of `results` in the order they happened. After
/// a failed spawn no other spawn of that task begins until the supervisor
/// has taken the failure (`failureTaken`): its pool decides what happens to
/// the rest (it drops them, `cancel`).
public final class SpawnQueue: @unchecked Sendable {
    public struct Result: Sendable {
        public enum Outcome: Sendable {
            /// Started at `at`.
            case spawned(pid: pid_t, at: Moment)
            /// Could not start; the task's other spawns wait for `failureTaken`.
            case failed(message: String)
        }
        public var task: String
        public var outcome: Outcome
    }

    public let results: AsyncStream<Result>
    private let continuation: AsyncStream<Result>.Continuation
    private let spawner: Spawner

    /// Guards `backlog` and `closed`; never held during a spawn.
    private let condition = ThreadCondition()
    private var backlog = SpawnBacklog()
    private var closed = false
    /// While set, spawns wait in the backlog (`holdingSpawns`).
    private var held = false
    /// Tasks whose failed spawn the supervisor has not taken yet: their
    /// spawns wait in the backlog.
    private var failed: Set<String> = []

    /// Set by `run` (it runs once).
    private var started = false

    /// Held during each spawn until its pid is in `unreported`.
    private let spawnLock = NIOLock()
    /// Guards `unreported`.
    private let reportLock = NIOLock()
    /// Pids spawned whose result the supervisor has not taken yet.
    private var unreported: Set<pid_t> = []

    public init(spawner: Spawner) {
        self.spawner = spawner
        (results, continuation) = AsyncStream<Result>.makeStream()
    }

    /// Runs the spawner thread (`wpm-spawner`) until the group's graceful
    /// shutdown (or cancellation), then closes the queue and returns once
    /// the thread has ended. Runs once.
    public func run() async {
        condition.withLock {
            precondition(!started, "SpawnQueue.run may run once")
            started = true
        }
        let ended = DetachedThread.started(name: "wpm-spawner") { [self] in serve() }
        try? await gracefulShutdown()
        close()
        for await _ in ended {}
    }

    /// Asks for `count` more workers of `spec`.
    public func enqueue(_ spec: TaskSpec, count: Int) {
        guard count > 0 else { return }
        condition.withLock {
            backlog.add(spec, count: count)
            condition.signal()
        }
    }

    /// Runs `body` (on the supervisor) with new spawns held back until it
    /// returns: the SIGTERMs of a burst of stalled workers all go out, and
    /// the workers can act on them, before their replacements start and
    /// compete for the CPU. Not to be nested.
    public func holdingSpawns<R>(_ body: () -> R) -> R {
        condition.withLock { held = true }
        defer {
            condition.withLock {
                held = false
                if !backlog.isEmpty { condition.signal() }
            }
        }
        return body()
    }

    /// Drops up to `count` of the task's spawns that have not begun; returns
    /// how many were dropped (the others are under way and will be reported).
    public func cancel(task: String, upTo count: Int) -> Int {
        condition.withLock { backlog.drop(task: task, upTo: count) }
    }

    /// The supervisor has taken the failure of a spawn of `task` (and
    /// dropped what its pool no longer wants): its other spawns may begin.
    public func failureTaken(task: String) {
        condition.withLock {
            failed.remove(task)
            condition.signal()
        }
    }

    /// The supervisor has taken the result for `pid`.
    public func reported(_ pid: pid_t) {
        _ = reportLock.withLock { unreported.remove(pid) }
    }

    /// Runs `body` with no spawn under way and tells it whether `pgid` may
    /// be a worker the supervisor does not know of yet (a reused number).
    /// For signals to process groups whose leader is gone.
    public func withoutSpawning<R>(pgid: pid_t, _ body: (_ unreported: Bool) -> R) -> R {
        spawnLock.withLock {
            let pending = reportLock.withLock { unreported.contains(pgid) }
            return body(pending)
        }
    }

    /// Ends the thread once the spawn under way (if any) is done (`run`
    /// does it at the end). Workers still running get SIGTERM (their
    /// parent-death signal).
    public func close() {
        condition.withLock {
            closed = true
            backlog = SpawnBacklog()
            failed = []
            condition.signal()
        }
    }

    private func next() -> TaskSpec? {
        condition.withLock {
            while !backlog.hasWork(besides: failed) || held, !closed { condition.wait() }
            return closed ? nil : backlog.next(besides: failed)
        }
    }

    private func serve() {
        while let spec = next() {
            let outcome: Result.Outcome
            spawnLock.lock()
            do {
                let pid = try spawner.spawn(spec)
                let at = Moment.now()
                reportLock.withLock { _ = unreported.insert(pid) }
                spawnLock.unlock()
                outcome = .spawned(pid: pid, at: at)
            } catch {
                condition.withLock { _ = failed.insert(spec.name) }
                spawnLock.unlock()
                outcome = .failed(message: "cannot start \(spec.command): \(error)")
            }
            continuation.yield(Result(task: spec.name, outcome: outcome))
        }
        continuation.finish()
    }
}

/// The spawns waiting to begin, per task, served round-robin.
struct SpawnBacklog {
    private var waiting: [String: (spec: TaskSpec, count: Int)] = [:]
    /// Tasks with waiting spawns, in the order they are served.
    private var order: [String] = []

    var isEmpty: Bool { order.isEmpty }

    /// How many spawns of `task` are waiting.
    func count(of task: String) -> Int { waiting[task]?.count ?? 0 }

    mutating func add(_ spec: TaskSpec, count: Int) {
        guard count > 0 else { return }
        if let entry = waiting[spec.name] {
            waiting[spec.name] = (spec, entry.count + count)
        } else {
            waiting[spec.name] = (spec, count)
            order.append(spec.name)
        }
    }

    /// Drops up to `count` waiting spawns of `task`; returns how many.
    mutating func drop(task: String, upTo count: Int) -> Int {
        guard let entry = waiting[task], count > 0 else { return 0 }
        let dropped = min(count, entry.count)
        if dropped == entry.count {
            waiting[task] = nil
            order.removeAll { $0 == task }
        } else {
            waiting[task]!.count -= dropped
        }
        return dropped
    }

    /// Whether a task not in `passedOver` has a spawn waiting.
    func hasWork(besides passedOver: Set<String>) -> Bool {
        passedOver.isEmpty ? !order.isEmpty : order.contains { !passedOver.contains($0) }
    }

    /// The next spawn to begin: one of the task whose turn it is, passing
    /// over the tasks in `passedOver`.
    mutating func next(besides passedOver: Set<String> = []) -> TaskSpec? {
        guard let index = order.firstIndex(where: { !passedOver.contains($0) }) else { return nil }
        let name = order.remove(at: index)
        let entry = waiting[name]!
        if entry.count > 1 {
            waiting[name]!.count -= 1
            order.append(name)
        } else {
            waiting[name] = nil
        }
        return entry.spec
    }
}

extension SpawnQueue: Service {}
