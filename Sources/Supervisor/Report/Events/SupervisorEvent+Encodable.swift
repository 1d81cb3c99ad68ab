import FoundationEssentials
import Glibc

/// The JSON form of an event (one object per event on `GET /events`):
/// `seq`, `time` (RFC 3339 UTC with milliseconds), `type`, `task`, and the
/// fields of its kind. Keys are stable; absent fields are left out.
extension SupervisorEvent: Encodable {
    enum CodingKeys: String, CodingKey {
        case seq, time, type, task, pid, cardinality, previous, error
        case silenceMS = "silence_ms"
        case afterMS = "after_ms"
        case exitCode = "exit_code"
        case signal
        case signalName = "signal_name"
        case coreDumped = "core_dumped"
        case status, reason, until
        case delayMS = "delay_ms"
        case count
        case maxSurge = "max_surge"
        case maxUnavailable = "max_unavailable"
        case replaced, total
        case durationMS = "duration_ms"
        case draining
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sequence, forKey: .seq)
        try c.encode(LogTimestamp.format(time), forKey: .time)
        try c.encode(type, forKey: .type)
        try c.encodeIfPresent(task, forKey: .task)
        try c.encodeIfPresent(pid, forKey: .pid)
        switch kind {
        case .taskStarted(let cardinality):
            try c.encode(cardinality, forKey: .cardinality)
        case .cardinalityChanged(let from, let to):
            try c.encode(to, forKey: .cardinality)
            try c.encode(from, forKey: .previous)
        case .spawnFailed(let error):
            try c.encode(error, forKey: .error)
        case .workerStalled(_, let silence):
            try c.encode(silence, forKey: .silenceMS)
        case .workerStartupTimeout(_, let after):
            try c.encode(after, forKey: .afterMS)
        case .workerExited(_, let status, let reason):
            try c.encode(status.description, forKey: .status)
            try c.encode(reason.name, forKey: .reason)
            switch status {
            case .exited(let code):
                try c.encode(code, forKey: .exitCode)
            case .signaled(let signal, let core):
                try c.encode(signal, forKey: .signal)
                try c.encode(SignalName.of(signal), forKey: .signalName)
                try c.encode(core, forKey: .coreDumped)
            }
        case .backoff(let until, let delay, let reason):
            try c.encode(LogTimestamp.format(until), forKey: .until)
            try c.encode(delay, forKey: .delayMS)
            try c.encode(reason.rawValue, forKey: .reason)
        case .workerStopping(_, let reason, let draining):
            try c.encode(reason, forKey: .reason)
            try c.encode(draining, forKey: .draining)
        case .eventsLost(let count):
            try c.encode(count, forKey: .count)
        case .rolloutStarted(let surge, let unavailable, let cardinality):
            try c.encode(surge, forKey: .maxSurge)
            try c.encode(unavailable, forKey: .maxUnavailable)
            try c.encode(cardinality, forKey: .cardinality)
        case .rolloutProgress(let replaced, let total):
            try c.encode(replaced, forKey: .replaced)
            try c.encode(total, forKey: .total)
        case .rolloutFinished(let replaced, let duration):
            try c.encode(replaced, forKey: .replaced)
            try c.encode(duration, forKey: .durationMS)
        case .rolloutFailed(let reason, let replaced, let total):
            try c.encode(reason, forKey: .reason)
            try c.encode(replaced, forKey: .replaced)
            try c.encode(total, forKey: .total)
        case .taskStopped, .workerSpawned, .workerReady, .workerKilled, .heartbeat:
            break
        }
    }
}
