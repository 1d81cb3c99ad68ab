import Foundation

/// Worker scripts that get ready (send keep-alives with `wpkeepalive`).
extension Scripts {
    /// One keep-alive (`status`: a keep-alive `--status`), for a manager
    /// that may be slow to answer on a busy machine.
    static func keepAlive(status: String? = nil) -> String {
        "\(keepAliveCommand) --pid $$ --timeout 20000" + (status.map { " --status \($0)" } ?? "")
    }

    /// Ready at once (one keep-alive), then silent: stalled after `stall_timeout`.
    static let readyThenSilent = "#!/bin/sh\n\(keepAlive())\nexec sleep 1000\n"
    /// Like `readyThenSilent`, but ignores SIGTERM: only SIGKILL ends it.
    static let stubbornReadyThenSilent = "#!/bin/sh\ntrap '' TERM\n\(keepAlive())\nwhile :; do sleep 1; done\n"

    /// Beats every `interval` seconds (after `delay` seconds), reporting `status`.
    static func beater(interval: Double = 0.5, delay: Double = 0, status: String? = nil) -> String {
        "#!/bin/sh\nsleep \(delay)\nwhile :; do \(keepAlive(status: status)); sleep \(interval); done\n"
    }
}
