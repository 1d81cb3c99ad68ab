/// How a worker that ended on its own counts for the restart backoff.
extension RestartPolicy {
    public enum Verdict: Sendable, Equatable {
        /// A quick failure: the next spawn waits.
        case failure
        /// It ran long enough (`stableRunMS`): the count starts over.
        case stableRun
        /// A clean exit after `min_uptime` but before `backoff_reset`: no
        /// failure, and the count stays.
        case neither
    }

    /// Any exit before `min_uptime` is a failure; a failed exit (non-zero,
    /// or a signal nobody in the manager sent) before `backoff_reset` is one
    /// too; a run longer than both is stable.
    /// `kind`: how it ended (`ExitCounts.kind`).
    static func judge(exitOf worker: WorkerRecord, kind: ExitCounts.Kind, now: Moment, policy: RestartPolicy) -> Verdict {
        let ran = now.instant - worker.startedAt.instant
        if policy.minUptimeMS == 0 { return .stableRun }
        if ran < .milliseconds(policy.minUptimeMS) { return .failure }
        if ran >= .milliseconds(policy.stableRunMS) { return .stableRun }
        switch kind {
        case .crashed, .signaled: return .failure
        case .clean, .stalled, .startupTimeout, .recycled: return .neither
        }
    }
}
