import Glibc
import Logging
import SystemHelpers

/// No verdict without the evidence (README, "Faults"): before a worker is
/// declared stalled, the keep-alives the inbound socket already holds are
/// counted (a drain of the keep-alive intake), and when the manager did not
/// run for a while (`PauseDetector`), every stall deadline moves back by the
/// time it lost.
struct StallEvidence {
    /// How long a drain may take before the supervisor decides without it
    /// (the intake thread stuck, or its answer shed under overload).
    static let drainTimeout: Duration = .seconds(1)
    /// How long the supervisor waits, on its own thread, for the intake to
    /// say the socket is empty (it usually does within microseconds); past
    /// that, or when the intake read something, the stall waits for the
    /// drain's batch instead.
    static let quickDrainWait: Duration = .microseconds(500)

    var pauses = PauseDetector()
    /// The hub to drain; nil: keep-alives are not received here.
    var hub: KeepAliveHub?
    /// The drain awaited, and when it was asked for.
    var pending: (token: UInt64, askedAt: ContinuousClock.Instant)?
    /// When the newest answered drain was asked for: every keep-alive the
    /// socket held then has been counted.
    var drainedAt: ContinuousClock.Instant?
    /// Stall deadlines waiting for the pending drain.
    var waiting: [(target: Supervisor.DeadlineTarget, at: ContinuousClock.Instant)] = []
    /// Batches of the hub taken so far.
    var batchesReceived: UInt64 = 0
    /// Pauses noticed, and the time they lost in all.
    var pausesNoticed = 0
    var timeLost: Duration = .zero
}

extension Supervisor {
    /// Called first whenever the supervisor runs for a keep-alive batch or
    /// its timer: a pause that just ended pushes every stall deadline back.
    func noteRunning(now: ContinuousClock.Instant) {
        guard let pause = evidence.pauses.ran(now: now, due: timerAt) else { return }
        var moved = 0
        for name in taskNames { moved += pools[name]?.pushBackStallDeadlines(by: pause.lost) ?? 0 }
        evidence.pausesNoticed += 1
        evidence.timeLost += pause.lost
        faultMetrics.pause(lost: pause.lost)
        let suspended = pause.suspended > .zero ? " (the machine was suspended for \(pause.suspended.milliseconds) ms)" : ""
        logger.warning(
            "the manager did not run for \(pause.lost.milliseconds) ms\(suspended): stall deadlines of \(moved) worker(s) pushed back by as much",
            metadata: [
                "lost_ms": .stringConvertible(pause.lost.milliseconds),
                "suspended_ms": .stringConvertible(pause.suspended.milliseconds),
                "workers": .stringConvertible(moved),
            ])
    }

    /// Whether the stall deadline `target` (scheduled `at`, due `due`, not
    /// later than `now`) must wait for a drain of the keep-alive intake
    /// first (it then waits in `evidence.waiting`).
    func awaitsDrain(_ target: DeadlineTarget, at: ContinuousClock.Instant, due: ContinuousClock.Instant, now: Moment) -> Bool {
        guard let hub = evidence.hub else { return false }
        if let drainedAt = evidence.drainedAt, drainedAt >= due { return false }
        if evidence.pending == nil {
            let token = hub.requestDrain()
            // Asked after `now`: an empty socket then, with every batch
            // before the answer taken, is the evidence for all due by `now`.
            let wait = ContinuousClock.now.advanced(by: StallEvidence.quickDrainWait)
            if let before = hub.waitForEmptyAnswer(token, until: wait), evidence.batchesReceived >= before {
                evidence.drainedAt = now.instant
                return false
            }
            evidence.pending = (token, now.instant)
            schedule(.drainTimeout(token), at: now.instant.advanced(by: StallEvidence.drainTimeout))
        }
        evidence.waiting.append((target, at))
        return true
    }

    /// The batch that answers drain `token` has been received: the stall
    /// deadlines that waited for it are decided now.
    func drainAnswered(_ token: UInt64) {
        guard let pending = evidence.pending, token >= pending.token else { return }
        finishDrain(asked: pending.askedAt)
    }

    /// The drain `token` was not answered in time: decide without it.
    func drainTimedOut(_ token: UInt64) {
        guard let pending = evidence.pending, pending.token == token else { return }
        logger.warning(
            "the keep-alive intake did not answer within \(StallEvidence.drainTimeout.milliseconds) ms: stalls decided without it")
        finishDrain(asked: pending.askedAt)
    }

    private func finishDrain(asked: ContinuousClock.Instant) {
        evidence.drainedAt = max(evidence.drainedAt ?? asked, asked)
        evidence.pending = nil
        let waiting = evidence.waiting
        evidence.waiting = []
        for entry in waiting { deadlines.schedule(entry.target, at: entry.at) }
        guard !waiting.isEmpty, !firing else { return }
        clock.cancel()
        timerAt = nil
        fireDue()
    }
}
