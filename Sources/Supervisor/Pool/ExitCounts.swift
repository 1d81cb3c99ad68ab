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
    }

    public var clean = 0
    public var crashed = 0
    public var signaled = 0
    public var stalled = 0

    public init() {}

    mutating func count(_ kind: Kind) {
        switch kind {
        case .clean: clean += 1
        case .crashed: crashed += 1
        case .signaled: signaled += 1
        case .stalled: stalled += 1
        }
    }

    static func kind(of worker: WorkerRecord, status: ExitStatus) -> Kind {
        if worker.stalled { return .stalled }
        if !worker.isRunning || worker.reportedStatus == .stopping { return .clean }
        switch status {
        case .exited(let code): return code == 0 ? .clean : .crashed
        case .signaled: return .signaled
        }
    }
}
