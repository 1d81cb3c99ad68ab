import Foundation
import Testing

/// The manager's `--json` log, line by line.
extension Manager {
    /// Every complete line of standard error as a JSON object; records an
    /// issue for any line that is not one.
    func jsonLog() -> [[String: Any]] {
        // The last piece is empty, or a line still being written.
        stderr.lines.dropLast().compactMap { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            if object == nil { Issue.record("not a JSON log line: \(line)") }
            return object
        }
    }

    /// Log entries with this message (or message prefix), optionally of one pid.
    func logged(_ message: String, prefix: Bool = false, pid: pid_t? = nil) -> [[String: Any]] {
        jsonLog().filter { entry in
            let text = entry["message"] as? String ?? ""
            guard prefix ? text.hasPrefix(message) : text == message else { return false }
            return pid.map { entry["pid"] as? Int == Int($0) } ?? true
        }
    }
}
