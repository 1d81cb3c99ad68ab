import Foundation
import KeepAlive
import Logging
import CoreMetrics

@testable import Supervisor
@testable import ZeroMQ

/// The real `Supervisor` actor with a manual clock (`ManualTimer`) and fake
/// processes (`FakeProcessControl`): a test moves time, starts spawns,
/// sends keep-alives and makes workers exit, and looks at the signals.
struct SupervisorHarness {
    let supervisor: Supervisor
    let processes = FakeProcessControl()
    let timer = ManualTimer()

    /// Only the workers' output is taken from it (nothing is spawned): one for every test.
    static let spawner = Result { try Spawner(output: OutputRouter(standardOutput: nil)) }

    init(_ tasks: [TaskSpec], forceTimeoutMS: Int = 1_000, metrics: any MetricsFactory = NOOPMetricsHandler.instance) throws {
        let config = ManagerConfig(forceTimeoutMS: forceTimeoutMS, maxCardinality: 50, tasks: tasks)
        supervisor = Supervisor(
            config: config, spawner: try Self.spawner.get(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            metrics: metrics, processes: processes, clock: timer)
    }

    /// Time moves `duration` on; every deadline due meanwhile fires at its instant.
    func advance(_ duration: Duration) async throws {
        try await timer.advance(by: duration, on: supervisor.loop)
    }

    /// Starts the spawns waiting and reports them to the supervisor; returns the pids.
    @discardableResult
    func startSpawns() async -> [pid_t] {
        var pids: [pid_t] = []
        for result in processes.startSpawns(at: timer.now()) {
            if case .spawned(let pid, _) = result.outcome { pids.append(pid) }
            await supervisor.spawnFinished(result)
        }
        return pids
    }

    /// `pid` exits (SIGCHLD): the supervisor reaps.
    func exit(_ pid: pid_t, status: Int32 = WaitStatus.exited(0), leavesGroup: Bool = false) async {
        processes.exit(pid, status: status, leavesGroup: leavesGroup)
        await supervisor.reap()
    }

    /// A keep-alive of `pid` for `task` reaches the supervisor.
    func keepAlive(_ task: String, _ pid: pid_t, status: KeepAliveMessage.Status? = nil) async {
        var message = ZMQMessage()
        message.frames = KeepAliveMessage(taskName: task, pid: pid, status: status).frames()
        await supervisor.receive([KeepAliveHub.Item(message)])
    }

    /// Raw frames reach the supervisor as the hub would hand them over.
    func frames(_ frames: [[UInt8]]) async {
        var message = ZMQMessage()
        message.frames = frames
        await supervisor.receive([KeepAliveHub.Item(message)])
    }

    /// The signals sent since the last call.
    func signals() -> [FakeProcessControl.Signal] { processes.takeSignals() }

    func workers(_ task: String) async -> [pid_t: WorkerRecord.State] {
        await supervisor.pool(named: task)?.workers.mapValues(\.state) ?? [:]
    }
}

extension Supervisor {
    /// The stall deadline of `pid` in the schedule, if it has one.
    func stallDeadline(_ task: String, _ pid: pid_t) -> ContinuousClock.Instant? {
        deadlines.deadline(of: .stall(task, pid))
    }
}

extension FakeProcessControl.Signal {
    static func group(_ pid: pid_t, _ signal: Int32) -> Self { .init(pid: pid, signal: signal, group: true) }
}
