/// How `/readyz` judges one task (config keys `min_ready` and `ready_grace`,
/// at the top level for every task and in an autotask entry for that task):
/// a running task is ready when at least `min_ready` of its workers are
/// ready and it has not been in restart backoff for longer than `ready_grace`.
public struct HealthPolicy: Sendable, Equatable {
    /// `min_ready`: a number of workers, or a percentage of the cardinality.
    public enum MinReady: Sendable, Equatable, CustomStringConvertible {
        case workers(Int)
        /// Of the current cardinality, rounded up.
        case percent(Int)

        public var description: String {
            switch self {
            case .workers(let n): "\(n)"
            case .percent(let p): "\(p)%"
            }
        }
    }

    public static let defaultReadyGraceMS = 30_000

    /// By default every worker (100% of the cardinality).
    public var minReady: MinReady = .percent(100)
    /// Longest time a task may spend in restart backoff and still be ready.
    public var readyGraceMS = HealthPolicy.defaultReadyGraceMS

    public init(minReady: MinReady = .percent(100), readyGraceMS: Int = HealthPolicy.defaultReadyGraceMS) {
        self.minReady = minReady
        self.readyGraceMS = readyGraceMS
    }

    /// The ready workers a task of this cardinality needs: never more than
    /// the cardinality (a task scaled down to 2 with `min_ready` 3 needs 2).
    public func minReady(cardinality: Int) -> Int {
        switch minReady {
        case .workers(let n): min(n, cardinality)
        case .percent(let p): (cardinality * p + 99) / 100
        }
    }
}
