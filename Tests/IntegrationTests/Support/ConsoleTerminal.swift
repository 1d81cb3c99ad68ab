import Foundation
import Testing

/// A wpconsole in a real terminal: a tmux server of its own (its own socket),
/// driven with send-keys and read with capture-pane. `stop()` kills the
/// server and checks that nothing of it is left.
final class ConsoleTerminal: @unchecked Sendable {
    let socket = "wpc-\(UUID().uuidString.prefix(8))"
    let workspace: Workspace
    private let configFile: String
    private(set) var serverPid: pid_t = 0

    /// Starts `wpconsole arguments` in a 150×50 window.
    init(_ arguments: [String], workspace: Workspace, environment extra: [String: String] = [:]) async throws {
        self.workspace = workspace
        configFile = workspace.path + "/tmux-\(socket).conf"
        // The pane stays after the console exits, so its exit status can be read.
        let config = "set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\n"
        _ = FileManager.default.createFile(atPath: configFile, contents: Data(config.utf8))
        let environment = consoleEnvironment(workspace, extra)
        var command = ["-f", configFile, "new-session", "-d", "-s", "console", "-x", "150", "-y", "50"]
        for key in ["WPMTEST_TAG", "HOME", "WPCONSOLE_HISTORY", "WPCONSOLE_HISTORY_SIZE", "http_proxy", "HTTP_PROXY"] {
            if let value = environment[key] { command += ["-e", "\(key)=\(value)"] }
        }
        command.append(launch(arguments))
        try tmux(command)
        serverPid = pid_t(try tmux(["display-message", "-p", "#{pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// How many consoles this terminal started; each one's exit line names it.
    private var launches = 0

    /// A shell command that runs the console and then shows how it ended:
    /// `[wpconsole #N exited with status S]` (tmux's own pane_dead_status is
    /// lost after respawn-pane).
    private func launch(_ arguments: [String]) -> String {
        launches += 1
        let console = ([consoleBinary] + arguments).map(Self.quoted).joined(separator: " ")
        return "\(console); echo \"[wpconsole #\(launches) exited with status $?]\""
    }

    private static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Runs `tmux -L SOCKET arguments`; its standard output.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil  // tests run inside tmux too, sometimes
        environment["WPMTEST_TAG"] = workspace.tag
        let (status, output) = try CleanSpawn.run(["tmux", "-L", socket] + arguments, environment: environment)
        guard status == 0 else { throw HarnessError("tmux \(arguments) exited with \(status)") }
        return output
    }

    /// Types `text` as it is (no key names).
    func type(_ text: String) throws { try tmux(["send-keys", "-t", "console", "-l", text]) }

    /// Presses keys by name: `Tab`, `Enter`, `Up`, `C-c`, `C-d`, `C-u`.
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", "console"] + keys) }

    /// The whole pane, scrollback included, trailing blank lines dropped.
    func screen() throws -> String {
        try tmux(["capture-pane", "-p", "-J", "-t", "console", "-S", "-"])
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            .joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    /// The line the cursor is on (where the prompt and the typed text are).
    func cursorLine() throws -> String {
        let y = Int(try tmux(["display-message", "-p", "-t", "console", "#{cursor_y}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let visible = try tmux(["capture-pane", "-p", "-t", "console"]).split(separator: "\n", omittingEmptySubsequences: false)
        return y < visible.count ? String(visible[y]) : ""
    }

    /// Waits until `condition` holds for the screen; records an issue with the
    /// screen when it never does.
    @discardableResult
    func waitFor(
        _ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (String) -> Bool
    ) async throws -> Bool {
        var last = ""
        let held = await eventually(timeout: timeout) {
            last = (try? screen()) ?? ""
            return condition(last)
        }
        #expect(held, "never: \(what)\n--- screen ---\n\(last)\n---", sourceLocation: sourceLocation)
        return held
    }

    /// Waits until the cursor line is exactly `text` (trailing spaces aside).
    @discardableResult
    func waitForCursorLine(
        _ text: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Bool {
        var last = ""
        let held = await eventually(timeout: timeout) {
            last = ((try? cursorLine()) ?? "").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            return last == text
        }
        #expect(held, "cursor line never \"\(text)\", last \"\(last)\"\n\((try? screen()) ?? "")", sourceLocation: sourceLocation)
        return held
    }

    /// The exit status of the console started last, once it has exited.
    func exitStatus(timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int32? {
        let marker = "[wpconsole #\(launches) exited with status "
        var status: Int32?
        var last = ""
        _ = await eventually(timeout: timeout) {
            last = (try? screen()) ?? ""
            if let range = last.range(of: marker) {
                status = Int32(last[range.upperBound...].prefix { $0.isNumber })
            }
            return status != nil
        }
        if status == nil { Issue.record("the console did not exit\n\(last)", sourceLocation: sourceLocation) }
        return status
    }

    /// Starts another console in the same pane, once the last one has exited.
    func respawn(_ arguments: [String]) throws {
        try tmux(["respawn-pane", "-k", "-t", "console", launch(arguments)])
    }

    /// Kills the tmux server and everything in it, and checks that none of it
    /// (the server, a console) is left running.
    func stop() async {
        _ = try? tmux(["kill-server"])
        let gone = await eventually(timeout: .seconds(20)) {
            (serverPid == 0 || !ProcessTable.isAlive(serverPid))
                && workspace.liveProcesses().allSatisfy { ProcessTable.commandName($0) != "wpconsole" }
        }
        #expect(gone, "tmux server \(serverPid) or a wpconsole outlived kill-server")
        if serverPid != 0, ProcessTable.isAlive(serverPid) { kill(serverPid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: configFile)
    }
}

extension ProcessTable {
    /// The command name of `pid` (`comm`), "" when gone.
    static func commandName(_ pid: pid_t) -> String {
        ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs `body` with a console in a terminal, and always stops it.
func withConsoleTerminal(
    _ arguments: [String], workspace: Workspace, environment: [String: String] = [:],
    _ body: (ConsoleTerminal) async throws -> Void
) async throws {
    let terminal = try await ConsoleTerminal(arguments, workspace: workspace, environment: environment)
    do {
        try await body(terminal)
    } catch {
        await terminal.stop()
        throw error
    }
    await terminal.stop()
}
