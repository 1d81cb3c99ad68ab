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

/// A wpmanager started for a benchmark, with its stderr collected.
final class BenchManager: @unchecked Sendable {
    let process = Process()
    /// The manager logs to a file: a pipe read by this (busy) process could
    /// fill up and make the manager wait on its own log writes.
    let logPath = NSTemporaryDirectory() + "wpm-bench-manager-\(getpid()).log"

    init(config: String, environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: binDirectory + "/wpmanager")
        process.arguments = ["-conf=\(config)"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        Cleanup.track(directory: logPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Cleanup.track(process.processIdentifier) { [process] in process.isRunning }
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
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        Cleanup.untrack(process.processIdentifier)
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
