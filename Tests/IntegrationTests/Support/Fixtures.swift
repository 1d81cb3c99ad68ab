import Foundation

/// Worker scripts used across the integration tests.
enum Scripts {
    /// Runs until terminated.
    static let sleeper = "#!/bin/sh\nexec sleep 1000\n"
    /// Ignores SIGTERM (and so do its `sleep` children): only SIGKILL ends it.
    static let stubborn = "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 1; done\n"
    /// Forks two children of its own and waits.
    static let forker = "#!/bin/sh\nsleep 1000 &\nsleep 1000 &\nwait\n"
    /// Keep-alive ports picked by the OS, for configs written by hand.
    static let anyPorts = #""keepalives": {"inbound_port": 0, "internal_port": 0}"#
}

extension Workspace {
    /// Writes the given `NAMETask.sh` files and a config (`TestConfig`) on an
    /// OS-picked port with `extra` top-level keys and `autotasks`; its path.
    func standardConfig(
        tasks: [String: String], autotasks: String = "{}", grace: Int = 200, extra: [String: JSON] = [:]
    ) -> String {
        for (name, script) in tasks { task(name + "Task.sh", script) }
        return config(testConfig(autotasks: autotasks, grace: grace, extra: extra))
    }
}
