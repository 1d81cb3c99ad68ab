import ArgumentParser
import CommandLineOptions
import Foundation
import SystemHelpers

/// `wpconsole`: the interactive console of one or more managers (SPEC §5).
@main
struct WPConsole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wpconsole",
        abstract: "Talks to wpmanager: status, start, stop and resize tasks, by hand or from scripts.",
        usage: """
            wpconsole [-host=HOST[:PORT][,HOST[:PORT]...]] [-token=TOKEN]
            wpconsole [-host=...] [-token=TOKEN] COMMAND [ARGUMENT...]
            printf 'status\\n' | wpconsole [-host=...] [-token=TOKEN]
            """,
        discussion: """
            On a terminal: GNU readline editing, history in ~/.wpconsole_history \
            (WPCONSOLE_HISTORY names another file, WPCONSOLE_HISTORY_SIZE caps it, 1000 lines \
            by default), Tab completes commands and task names. With commands on standard \
            input: no prompt, one reply after the other; end of input exits 0. With a COMMAND \
            on the command line: runs it once; exit status 0 when every manager answered \
            with success, 1 when one answered with an error or could not be reached, 2 for a \
            usage error. A manager that requires a token gets the one of -token, else of \
            the WPM_TOKEN environment variable.

            Commands: \(CommandName.allCases.map(\.usage).joined(separator: "; ")).
            """)

    @Option(
        name: .goStyle("host"),
        help: ArgumentHelp(
            "Address of the manager; several, separated by commas, to talk to all of them.",
            valueName: "host[:port]"))
    var host = HostAddress.default.description

    @Option(
        name: .goStyle("token"),
        help: ArgumentHelp(
            "Bearer token for managers that require one (default: $WPM_TOKEN); sent to every manager.",
            valueName: "token"))
    var token: String?

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("A command to run once, then exit (one-shot mode).", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        do {
            _ = try HostAddress.parseList(host)
        } catch {
            throw ValidationError("-host: \(error)")
        }
        // Everything from the first word that is no option of ours on is the
        // one-shot command (so `set T cardinality -1` reaches the parser);
        // help and unknown options can land there too.
        if let first = command.first, first.hasPrefix("-") {
            if ["-h", "--help", "-help"].contains(first) { throw CleanExit.helpRequest(self) }
            throw ValidationError("Unknown option '\(first)'")
        }
        if let token = resolvedToken, token.isEmpty || token.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
            throw ValidationError(
                "\(self.token == nil ? "WPM_TOKEN" : "-token"): must be printable ASCII without spaces, and not empty")
        }
        do {
            _ = try CommandParser.parse(words: command)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// `-token`, else `$WPM_TOKEN`.
    var resolvedToken: String? {
        token ?? ProcessInfo.processInfo.environment["WPM_TOKEN"]
    }

    func run() async throws {
        let hosts = (try? HostAddress.parseList(host)) ?? [.default]
        let client = ManagerClient(token: resolvedToken)
        let status: Int32
        if let oneShot = try? CommandParser.parse(words: command) {
            status = await Self.runOnce(oneShot, hosts: hosts, client: client)
        } else if isatty(STDIN_FILENO) == 1 {
            status = await Self.runInteractively(hosts: hosts, client: client)
        } else {
            status = await Self.runLines(from: PlainLineReader(), console: Console(hosts: hosts, client: client, output: StandardOutput()))
        }
        await client.shutdown()
        if status != 0 { throw ExitCode(status) }
    }

    /// One-shot mode: 0 when every manager answered with success, 1 otherwise.
    static func runOnce(_ command: Command, hosts: [HostAddress], client: ManagerClient) async -> Int32 {
        let console = Console(hosts: hosts, client: client, output: StandardOutput())
        if command.lastsUntilInterrupted {
            // Until Ctrl-C, which is its normal end (exit 0).
            return await Interruptible.run { await console.run(command) } == .failed ? 1 : 0
        }
        return await console.run(command) == .failed ? 1 : 0
    }

    /// On a terminal: readline, history, completion, a greeting.
    static func runInteractively(hosts: [HostAddress], client: ManagerClient) async -> Int32 {
        let completion = CompletionState()
        let console = Console(hosts: hosts, client: client, output: StandardOutput(), completion: completion)
        let history = HistorySettings(environment: ProcessInfo.processInfo.environment)
        guard let editor = ReadlineEditor(history: history, completion: completion) else {
            return await runLines(from: PlainLineReader(), console: console)
        }
        await console.greet()
        return await runLines(from: editor, console: console)
    }

    /// Reads and runs lines until `quit` or the end of input: exit status 0
    /// (errors were shown as they came).
    static func runLines(from reader: some LineReader, console: Console) async -> Int32 {
        while true {
            switch await reader.read(prompt: await console.prompt) {
            case .end:
                return 0
            case .interrupted:
                continue
            case .line(let line):
                await reader.remember(line)
                let command = Task { await console.run(line: line) }
                if await reader.whileRunning(command) == .quit { return 0 }
            }
        }
    }
}

extension WPConsole {
    /// Like ArgumentParser's `main`, but usage errors exit with status 2
    /// (as wpmanager's do, and the Go tools' flag package did).
    static func main() async {
        // Still on the main thread: threads started from here on inherit it.
        SignalPipe.unblock(ConsoleSignals.signals)
        do {
            let command = try parseAsRoot(Self.goSpellings(Array(CommandLine.arguments.dropFirst())))
            guard let console = command as? WPConsole else {
                var other = command
                try other.run()
                Foundation.exit(0)
            }
            try await console.run()
            Foundation.exit(0)
        } catch {
            guard exitStatus(for: error) == 2 else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    /// `-help`, as the Go flag package spelled it, is `--help` (ArgumentParser
    /// would read it as `-h -e -l -p`). Only among the options: the words of a
    /// one-shot command are left alone.
    static func goSpellings(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var inOptions = true
        for argument in arguments {
            if inOptions && !argument.hasPrefix("-") && !(result.last.map(Self.takesValue) ?? false) {
                inOptions = false
            }
            result.append(inOptions && argument == "-help" ? "--help" : argument)
        }
        return result
    }

    /// Options whose value is the next word (`-host a:1`).
    private static func takesValue(_ option: String) -> Bool {
        ["-host", "--host", "-token", "--token"].contains(option)
    }

    /// The exit status for an error out of parsing or running: what `run`
    /// threw as an `ExitCode`, 0 for `--help`, 2 for every usage error.
    static func exitStatus(for error: any Error) -> Int32 {
        if let code = error as? ExitCode { return code.rawValue }
        return exitCode(for: error) == .success ? 0 : 2
    }
}
