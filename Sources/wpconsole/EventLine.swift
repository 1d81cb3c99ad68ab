import Foundation

/// One event of `GET /events` (its JSON) as a line for the operator:
/// `20:45:07.123Z Work: worker 4242 exited: exit status 3 (crashed)`.
enum EventLine {
    static func format(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let type = object["type"] as? String
        else { return "event: " + json }
        let time = (object["time"] as? String).map(timeOfDay) ?? "--:--:--"
        let task = (object["task"] as? String).map { $0 + ": " } ?? ""
        return "\(time) \(task)\(describe(type, object, json))"
    }

    /// `2026-11-27T20:45:07.123Z` → `20:45:07.123Z`.
    static func timeOfDay(_ timestamp: String) -> String {
        guard let t = timestamp.firstIndex(of: "T") else { return timestamp }
        return String(timestamp[timestamp.index(after: t)...])
    }

    private static func describe(_ type: String, _ o: [String: Any], _ json: String) -> String {
        let worker = (o["pid"] as? Int).map { "worker \($0)" } ?? "worker"
        func int(_ key: String) -> String { (o[key] as? Int).map(String.init) ?? "?" }
        func text(_ key: String) -> String { o[key] as? String ?? "?" }
        switch type {
        case "task_started":
            return "task started (cardinality \(int("cardinality")))"
        case "task_stopped":
            return "task stopped"
        case "cardinality_changed":
            return "cardinality \(int("previous")) -> \(int("cardinality"))"
        case "worker_spawned":
            return "\(worker) spawned"
        case "spawn_failed":
            return "spawn failed: \(text("error"))"
        case "worker_ready":
            return "\(worker) ready"
        case "worker_startup_timeout":
            return "\(worker) not ready within startup_timeout (\(int("after_ms")) ms after its spawn)"
        case "worker_stalled":
            return "\(worker) stalled (no keep-alive for \(int("silence_ms")) ms)"
        case "worker_exited":
            return "\(worker) exited: \(text("status")) (\(text("reason")))"
        case "worker_stopping":
            return "\(worker) chosen to stop: \(text("reason"))" + (o["draining"] as? Bool == true ? " (draining)" : "")
        case "worker_killed":
            return "\(worker) killed (SIGKILL)"
        case "backoff":
            let reason = text("reason").replacingOccurrences(of: "_", with: " ")
            return "spawns held back for \(int("delay_ms")) ms (\(reason))"
        case "rollout_started":
            return "rolling restart started (max_surge \(int("max_surge")), max_unavailable \(int("max_unavailable")))"
        case "rollout_progress":
            return "rolling restart: \(int("replaced"))/\(int("total")) replaced"
        case "rollout_finished":
            return "rolling restart finished: \(int("replaced")) replaced in \(int("duration_ms")) ms"
        case "rollout_failed":
            return "rolling restart failed: \(text("reason"))"
        case "events_lost":
            return "\(int("count")) event(s) lost: the console did not keep up"
        default:
            return "\(type) \(json)"
        }
    }
}
