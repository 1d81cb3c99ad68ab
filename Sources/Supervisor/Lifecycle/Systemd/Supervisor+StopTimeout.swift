extension Supervisor {
    /// While a shutdown is under way and workers (or what is left of their
    /// process groups) remain: the time left until `force_timeout` runs out
    /// (zero once it has). Nil otherwise.
    public var shutdownTimeLeft: Duration? {
        guard shutdownStarted, let forceDeadline, liveProcesses > 0 else { return nil }
        return max(.zero, clock.now().instant.duration(to: forceDeadline))
    }
}
