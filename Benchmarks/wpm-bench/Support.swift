import Foundation
import Glibc

/// CLOCK_MONOTONIC in nanoseconds: the clock the C workers stamp with.
func monotonicNanos() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Percentile (nearest rank) of sorted values.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[max(0, min(sorted.count - 1, rank - 1))]
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Where the built binaries are: beside this one.
let binDirectory = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]).deletingLastPathComponent().path

/// Compiles a C file of Benchmarks/c into `directory`.
func compileC(_ name: String, into directory: String) throws -> String {
    var source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    source.appendPathComponent("c/\(name).c")
    let output = directory + "/" + name
    let cc = Process()
    cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    cc.arguments = ["cc", "-O2", "-o", output, source.path]
    try cc.run()
    cc.waitUntilExit()
    guard cc.terminationStatus == 0 else { throw BenchError("cc failed for \(source.path)") }
    return output
}

/// A process the benchmark starts (standard input on /dev/null, standard
/// output to a file or /dev/null, standard error to a file or ours), known
/// to `Cleanup` until it has been waited for.
final class TrackedProcess: @unchecked Sendable {
    let process = Process()
    private var files: [FileHandle] = []

    init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], output: String? = nil,
        error: String? = nil
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try open(output)
        if let error { process.standardError = try open(error) }  // else this process's own
        try process.run()
        Cleanup.track(process.processIdentifier) { [process] in process.isRunning }
    }

    /// A new empty file at `path` (kept open for the process), or /dev/null.
    private func open(_ path: String?) throws -> FileHandle {
        guard let path else { return FileHandle.nullDevice }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw BenchError("cannot write \(path)") }
        files.append(handle)
        return handle
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits for it to end on its own.
    func wait() {
        process.waitUntilExit()
        Cleanup.untrack(pid)
        for file in files { try? file.close() }
        files = []
    }

    /// SIGTERM if it still runs, then waits.
    func stop() {
        if process.isRunning { kill(pid, SIGTERM) }
        wait()
    }
}

/// A wpmanager started for a benchmark, with its stderr collected.
final class BenchManager: @unchecked Sendable {
    let process: TrackedProcess
    /// The manager logs to a file: a pipe read by this (busy) process could
    /// fill up and make the manager wait on its own log writes.
    let logPath = NSTemporaryDirectory() + "wpm-bench-manager-\(getpid()).log"

    init(config: String, environment: [String: String]) throws {
        Cleanup.track(directory: logPath)
        process = try TrackedProcess(
            binDirectory + "/wpmanager", ["-conf=\(config)"], environment: environment, error: logPath)
    }

    var stderr: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for a log line containing `marker`; returns what follows it.
    func wait(for marker: String, timeout: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = stderr.split(separator: "\n").first(where: { $0.contains(marker) }) {
                return String(line.components(separatedBy: marker)[1])
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw BenchError("wpmanager never logged \"\(marker)\":\n\(stderr)")
    }

    func stop() {
        process.stop()
        Cleanup.removeDirectory(logPath)
    }
}

/// Prints rows as an aligned table.
func printTable(_ rows: [[String]]) {
    let widths = rows[0].indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
    for (n, row) in rows.enumerated() {
        print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        if n == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
    }
}
