extension Supervisor {
    /// Every task's last output lines, and the clients following them.
    public nonisolated var recentOutput: RecentOutput { spawner.output.recent }
}
