import FoundationEssentials
import Glibc

/// Run-time changes that survive a restart: the state file (`state_file`).
extension Supervisor {
    /// Every task: whether it runs, its cardinality, and whether it is paused.
    public func runtimeState() -> RuntimeState {
        RuntimeState(
            tasks: pools.mapValues {
                .init(running: $0.phase == .running, cardinality: $0.cardinality, paused: $0.isPaused ? true : nil)
            })
    }

    /// Saves the state after a control request. Not during a shutdown: the
    /// tasks it stops are started again by the next run.
    func saveState() {
        guard !shutdownStarted, let stateWriter else { return }
        stateWriter.save(runtimeState())
    }

    /// Takes a state read at start (before the autotasks start): the
    /// cardinality of each task it names, and which of them run. Returns a
    /// warning for each entry that cannot be used.
    public func restore(_ state: RuntimeState) -> [String] {
        var warnings: [String] = []
        var usable = state
        for (name, entry) in state.tasks.sorted(by: { $0.key < $1.key }) {
            guard pools[name] != nil else {
                warnings.append("state file: task \(name) is not in the config; ignored")
                usable.tasks[name] = nil
                continue
            }
            // Its workers are paused as they are spawned.
            if entry.paused == true, entry.running { pools[name]!.restorePause(now: clock.now()) }
            guard entry.cardinality <= config.maxCardinality else {
                warnings.append(
                    "state file: cardinality \(entry.cardinality) of task \(name) is above max_cardinality (\(config.maxCardinality)); the config's is used")
                usable.tasks[name]?.cardinality = pools[name]!.cardinality
                continue
            }
            _ = pools[name]!.setCardinality(entry.cardinality, now: clock.now())
        }
        restored = usable
        return warnings
    }
}
