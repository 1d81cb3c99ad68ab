// Example wpmanager worker in Swift: copy it and replace `work(job:)`.
//
// It does one unit of (pretend) work after another and sends a keep-alive
// before each with `KeepAliveClient` (the `KeepAlive` library product), which
// connects once to $WPM_KEEPALIVE_ENDPOINT as a worker of $WPM_TASK_NAME:
// wpmanager sets both for every worker it starts. `beat()` never blocks.
//
// On SIGTERM (or SIGINT) it finishes the unit it is doing, sends a last
// keep-alive with status "stopping" and exits 0.
//
// Build and run under a manager: `swift build --product example-worker`, then
// a task whose "cmd" is .build/debug/example-worker.
import Dispatch
import Foundation
import KeepAlive
import Synchronization

/// Set by the signal handlers; the main loop stops between two units.
let stopRequested = Atomic<Bool>(false)

// Signals are handled by dispatch sources, not in a signal handler: ignore
// the default action, then watch for them. The handler is `@Sendable`: a
// closure written at the top level of main.swift is otherwise isolated to
// the main actor, and the runtime traps when it runs on a dispatch queue.
let signalSources = [SIGTERM, SIGINT].map { signalNumber in
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
    source.setEventHandler { @Sendable in stopRequested.store(true, ordering: .relaxed) }
    source.resume()
    return source
}

/// Writes a line at once, even into a pipe (wpmanager's capture_output).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// One unit of pretend work.
func work(job: Int) {
    Thread.sleep(forTimeInterval: 0.5)
}

let keepAlive: KeepAliveClient
do {
    keepAlive = try KeepAliveClient()
} catch {
    FileHandle.standardError.write(Data("example-worker: \(error)\n".utf8))
    exit(2)
}
let pid = getpid()
say("\(keepAlive.taskName) worker \(pid) started")
keepAlive.beat(status: .ready)
var job = 0
while !stopRequested.load(ordering: .relaxed) {
    job += 1
    keepAlive.beat(status: .working, job: String(job))
    work(job: job)
}
keepAlive.beat(status: .stopping, job: String(job), message: "stopped after job \(job)")
// Let the last keep-alive leave before the process ends.
keepAlive.close(waitingUpTo: .seconds(1))
say("\(keepAlive.taskName) worker \(pid) stopping after job \(job)")
exit(0)
