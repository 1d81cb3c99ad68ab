import NIOConcurrencyHelpers

/// `/healthz`: whether something answers within a deadline.
public enum Liveness {
    /// How long the supervisor's loop may take to answer `/healthz`.
    public static let deadline: Duration = .seconds(5)

    /// Runs `operation` and waits for it at most `limit`: the time it took,
    /// or nil when it did not finish in time (it is then left to finish
    /// whenever it can; a hung actor cannot be interrupted).
    public static func answered(
        within limit: Duration, _ operation: @escaping @Sendable () async -> Void
    ) async -> Duration? {
        let start = ContinuousClock.now
        let finished: Bool = await withCheckedContinuation { continuation in
            let resumed = NIOLockedValueBox(false)
            let resume: @Sendable (Bool) -> Void = { value in
                let first = resumed.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
            }
            let timer = Task {
                // Cancelled: the operation finished first (and said so).
                do { try await Task.sleep(for: limit) } catch { return }
                resume(false)
            }
            Task {
                await operation()
                resume(true)
                timer.cancel()
            }
        }
        return finished ? start.duration(to: .now) : nil
    }
}

extension Supervisor {
    /// How long the supervisor's loop took to answer, or nil when it did
    /// not within `limit`.
    public nonisolated func answers(within limit: Duration = Liveness.deadline) async -> Duration? {
        await Liveness.answered(within: limit) { await self.ping() }
    }
}
