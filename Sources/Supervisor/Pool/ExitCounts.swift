/// How the workers of a run ended.
public struct ExitCounts: Sendable, Equatable, Codable {
    public enum Kind: Sendable, Equatable {
        /// Exit status 0, or it announced `stopping`, or it ended after the
        /// manager asked it to stop.
        case clean
        /// A non-zero exit status nobody asked for.
        case crashed
        /// Killed by a signal nobody in the manager sent.
        case signaled
        /// Stopped for missing keep-alives.
        case stalled
        /// Stopped for not getting ready within `startup_timeout`.
        case startupTimeout
        /// Replaced the graceful way, past `max_lifetime`, `max_memory` or `max_jobs`.
        case recycled
    }

    public var clean = 0
    public var crashed = 0
    public var signaled = 0
    public var stalled = 0
    public var startupTimeout = 0
    public var recycled = 0

    enum CodingKeys: String, CodingKey {
        case clean, crashed, signaled, stalled
        case startupTimeout = "startup_timeout"
        case recycled
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clean = try c.decode(Int.self, forKey: .clean)
        crashed = try c.decode(Int.self, forKey: .crashed)
        signaled = try c.decode(Int.self, forKey: .signaled)
        stalled = try c.decode(Int.self, forKey: .stalled)
        // Absent in the replies of a manager without startup timeouts.
        startupTimeout = try c.decodeIfPresent(Int.self, forKey: .startupTimeout) ?? 0
        recycled = try c.decodeIfPresent(Int.self, forKey: .recycled) ?? 0
    }

    mutating func count(_ kind: Kind) {
        switch kind {
        case .clean: clean += 1
        case .crashed: crashed += 1
        case .signaled: signaled += 1
        case .stalled: stalled += 1
        case .startupTimeout: startupTimeout += 1
        case .recycled: recycled += 1
        }
    }

    static func kind(of worker: WorkerRecord, status: ExitStatus) -> Kind {
        if worker.missedStartup { return .startupTimeout }
        if worker.stalled { return .stalled }
        if worker.recycleReason != nil, !worker.isRunning { return .recycled }
        if !worker.isRunning || worker.reportedStatus == .stopping { return .clean }
        switch status {
        case .exited(let code): return code == 0 ? .clean : .crashed
        case .signaled: return .signaled
        }
    }
}
