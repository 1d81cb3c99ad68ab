import ServiceLifecycle

/// The spawner thread (`wpm-spawner`) lives while this service runs: added
/// to the group before the supervisor, it ends after it, once every worker
/// is gone (the workers' parent-death signal is tied to that thread).
extension PosixProcessControl: Service {
    public func run() async {
        await spawns.run()
    }
}
