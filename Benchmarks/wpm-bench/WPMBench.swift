import ArgumentParser
import Foundation

/// Benchmarks of the figures the issues name. Not a test: run on demand,
/// prints a table and writes JSON (see README, "Performance").
@main
struct WPMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wpm-bench",
        abstract: "Measures wpmanager, side by side with a bare C baseline, on the workloads of the benchmark issue.",
        discussion: """
            Run from the package root after `swift build -c release` (scripts/bench.sh does both). \
            Each workload prints a table and writes JSON; `all` runs every one of them into one \
            table and one file. Ctrl-C stops every process the run started.
            """,
        subcommands: [
            AllBench.self, SpawnBench.self, RespawnBench.self, StallBench.self, IngestBench.self, IdleBench.self,
            MemoryBench.self, ControlBench.self, StopAllBench.self, ConsoleBench.self, TenKBench.self, PeersBench.self, PublishCommand.self,
        ],
        defaultSubcommand: AllBench.self)

    static func main() {
        Cleanup.installSignalHandlers()
        raiseOpenFileLimit()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            Cleanup.terminateAll()
            exit(withError: error)
        }
    }
}
