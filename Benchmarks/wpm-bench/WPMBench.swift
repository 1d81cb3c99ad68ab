import ArgumentParser
import Foundation

/// Benchmarks of the figures the issues name. Not a test: run on demand,
/// prints a table and writes JSON (see README, "Performance").
@main
struct WPMBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wpm-bench",
        abstract: "Measures wpmanager on the workloads the issues name.",
        subcommands: [StallBench.self],
        defaultSubcommand: StallBench.self)
}
