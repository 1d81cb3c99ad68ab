import Glibc

/// What follows a signal to a worker but need not come before the next
/// signal: its log lines and events, and the search for the worker's
/// escaped descendants (a walk through /proc). When many workers are
/// signalled at once (fifty stalled together, a stop of every task), each
/// gets its signal first and this is done after the last one.
enum AfterSignal {
    /// A stall decided: its log line and event.
    case stalled(task: String, pid: pid_t, silence: Duration, at: Moment)
    /// A signal sent: its log line, its event (SIGKILL) and, for the stop
    /// signal, the worker's descendants outside its group.
    case signalled(WorkerSignal, number: Int32, pid: pid_t, task: String, searchEscaped: Bool)
}

extension Supervisor {
    /// Runs `body`; what its signals are followed by (`AfterSignal`) is
    /// done when the outermost batch ends.
    func signalling<R>(_ body: () -> R) -> R {
        signalBatches += 1
        let result = body()
        signalBatches -= 1
        if signalBatches == 0 { finishSignalled() }
        return result
    }

    /// Does `work` at the end of the current batch (now, outside one).
    func afterSignals(_ work: AfterSignal) {
        followUps.append(work)
        if signalBatches == 0 { finishSignalled() }
    }

    private func finishSignalled() {
        while !followUps.isEmpty {
            let work = followUps
            followUps = []
            for item in work {
                switch item {
                case .stalled(let task, let pid, let silence, let at):
                    logStalled(task: task, pid: pid, silence: silence)
                    emit(.workerStalled(pid: pid, silenceMS: Int(silence.milliseconds)), task: task, now: at)
                case .signalled(let signal, let number, let pid, let task, let searchEscaped):
                    logSignal(signal, number: number, task: task, pid: pid)
                    // Not reaped yet (the pid is still the worker's) and
                    // not exited either: an exited worker's descendants are
                    // the manager's children already, stopped when it is
                    // reaped (after a stop of every task, most have exited
                    // by now, and a walk through /proc each cost as much as
                    // its reaping).
                    if searchEscaped, owners[pid] != nil, !processes.mayHaveExited(pid) {
                        stopEscapedDescendants(of: pid, task: task)
                    }
                    noteSignal(signal, to: pid, task: task)
                }
            }
        }
    }
}
