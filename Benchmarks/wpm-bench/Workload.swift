import ArgumentParser
import Foundation

/// A workload of the benchmark issue: a subcommand on its own, and a part
/// of `all`.
protocol Workload: ParsableCommand {
    static var name: String { get }
    var output: OutputOptions { get }
    func measure() throws -> WorkloadResult
}

struct OutputOptions: ParsableArguments {
    @Option(help: "Write the results as JSON here (default: bench-WORKLOAD.json).") var json: String?
}

extension Workload {
    func run() throws {
        defer { Cleanup.terminateAll() }
        let result = try measure()
        Report.printResults([result])
        try Report.write([result], to: output.json ?? "bench-\(Self.name).json")
    }
}

extension Workload {
    /// The baseline, then the manager, `repeats` times in turn; one figure,
    /// median against median, with the target ≤ 1.5 × baseline.
    func medians(
        _ figure: String, workers: Int, repeats: Int, baseline baselineRun: () throws -> Double,
        manager managerRun: () throws -> Double
    ) throws -> WorkloadResult {
        var wpm: [Double] = []
        var base: [Double] = []
        for _ in 0..<repeats {
            base.append(try baselineRun())
            wpm.append(try managerRun())
        }
        let value = median(wpm), baseline = median(base)
        return WorkloadResult(
            workload: Self.name,
            figures: [
                Figure(
                    workload: Self.name, name: figure, value: value, unit: "ms", baseline: baseline,
                    target: "≤ 1.5 × baseline", met: value <= 1.5 * baseline)
            ],
            details: ["workers": workers, "wpm_ms": wpm, "baseline_ms": base])
    }
}

/// Median of unsorted values.
func median(_ values: [Double]) -> Double { percentile(values.sorted(), 50) }

/// Milliseconds between two CLOCK_MONOTONIC readings in ns.
func milliseconds(_ from: Int64, _ to: Int64) -> Double { Double(to - from) / 1e6 }

/// Runs `argv` with posix_spawn (stdout and stderr to /dev/null) and waits;
/// returns the milliseconds from before the spawn to after the reap, and
/// the exit status.
func timedRun(_ argv: [String]) throws -> (ms: Double, status: Int32) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    let start = monotonicNanos()
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
    guard rc == 0 else { throw BenchError("cannot run \(argv[0]): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    return (milliseconds(start, monotonicNanos()), status)
}

/// The first executable called `name` on PATH.
func which(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// The idle workload holds a socket per worker: allow as many fds as the hard limit.
func raiseOpenFileLimit() {
    var limit = rlimit()
    if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Prints a progress line at once, also when standard output is a file.
func progress(_ line: String) {
    print(line)
    fflush(nil)
}
