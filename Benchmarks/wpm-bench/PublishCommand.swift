import ArgumentParser
import Foundation
import KeepAlive
import ZeroMQ

/// A keep-alive publisher the ingest workload runs as separate processes:
/// sends valid keep-alives for the given pids, round robin, at a steady
/// rate, then prints "sent N SECONDS".
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Send keep-alives at a rate (used by the ingest workload).",
        shouldDisplay: false)

    @Option(help: "The manager's inbound endpoint.") var endpoint: String
    @Option(help: "Task name.") var task: String
    @Option(help: "Worker pids, separated by commas.") var pids: String
    @Option(help: "Messages per second.") var rate: Double
    @Option(help: "How long to send, in seconds.") var seconds: Double

    func run() throws {
        signal(SIGTERM, SIG_DFL)  // the ingest workload ends the keeper with SIGTERM: nothing to clean up
        let frames = pids.split(separator: ",").compactMap { Int32($0) }.map {
            KeepAliveMessage(taskName: task, pid: $0).frames()
        }
        guard !frames.isEmpty else { throw BenchError("no pids") }
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .xpub)
        try socket.set(ZMQOption.sendHighWaterMark, Int32(0))
        try socket.connect(endpoint)
        // Wait for the manager's subscription, so nothing is sent into the void.
        guard try socket.poll(timeout: 20_000), try socket.receive(wait: false) != nil else {
            throw BenchError("no subscription from \(endpoint)")
        }
        let start = monotonicNanos()
        var sent = 0
        var elapsed = 0.0
        while true {
            elapsed = Double(monotonicNanos() - start) / 1e9
            if elapsed >= seconds { break }
            let due = Int(rate * elapsed)
            if sent >= due {
                usleep(200)
                continue
            }
            while sent < due {
                try socket.send(frames[sent % frames.count])
                sent += 1
            }
        }
        print("sent \(sent) \(elapsed)")
        socket.close()
    }
}
