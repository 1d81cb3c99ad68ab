extension PoolStateMachine {
    /// How long the task has been in restart backoff at `now`: since the
    /// first quick failure of a streak that no stable run has ended yet (a
    /// worker started after the last quick failure that has lived
    /// `min_uptime` and `backoff_reset`). Nil when it is not, or not running.
    public func restartBackoff(now: ContinuousClock.Instant) -> Duration? {
        guard phase == .running, quickFailures > 0, let since = backoffSince, let last = lastFailure?.at else { return nil }
        let stable = workers.values.contains {
            $0.isRunning && $0.startedAt.instant > last && $0.startedAt.instant.advanced(by: stableRun) <= now
        }
        return stable ? nil : since.duration(to: now)
    }

    /// This task's readiness as `/readyz` judges it at `now`.
    func readiness(now: ContinuousClock.Instant) -> TaskReadiness {
        let policy = spec.health
        let needed = policy.minReady(cardinality: cardinality)
        let ready = readyWorkers
        var reasons: [String] = []
        guard phase == .running else {
            return TaskReadiness(
                name: name, ready: false, running: false, readyWorkers: 0, minReady: needed, cardinality: cardinality,
                reasons: ["not running"])
        }
        if ready < needed {
            reasons.append("\(ready) of \(cardinality) workers ready, min_ready is \(needed)")
        }
        let backoff = restartBackoff(now: now)
        if let backoff, backoff > .milliseconds(policy.readyGraceMS) {
            let why = lastFailure.map { ": last \($0.reason)" } ?? ""
            reasons.append(
                "in restart backoff for \(Self.seconds(backoff)) s, longer than ready_grace (\(Self.seconds(.milliseconds(policy.readyGraceMS))) s)\(why)")
        }
        return TaskReadiness(
            name: name, ready: reasons.isEmpty, running: true, readyWorkers: ready, minReady: needed,
            cardinality: cardinality, backoffSeconds: backoff.map(Self.fractionalSeconds), reasons: reasons)
    }

    /// Seconds with one decimal, for messages: `1.5`.
    static func seconds(_ duration: Duration) -> String {
        let tenths = duration.components.seconds * 10 + duration.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func fractionalSeconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
