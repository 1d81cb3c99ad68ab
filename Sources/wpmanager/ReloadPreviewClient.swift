import NIOCore
import NIOHTTP1
import NIOPosix
import Supervisor

/// `--check-config --diff`: asks the manager that runs with this config
/// (its `listen`, `port` and token) what a reload would do
/// (`POST /reload?dry_run=1`, which changes nothing) and prints the answer.
/// The manager re-reads its own config file for that, so this is the
/// difference between what it runs and what that file says now.
enum ReloadPreviewClient {
    static let timeout = TimeAmount.seconds(10)

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// Prints the answer; returns the exit status: 0, 1 when no manager
    /// answers or it refuses, 2 when the config names no port to ask.
    static func run(_ config: ManagerConfig) async -> Int32 {
        guard config.port != 0 else {
            LogOutput.standardError.write(
                "wpmanager: --diff: the config's port is 0 (picked by the OS): no running manager to ask\n")
            return 2
        }
        let host =
            switch config.listen {
            case "0.0.0.0", "": "127.0.0.1"
            case "::": "::1"
            default: config.listen
            }
        let shown = host.contains(":") ? "[\(host)]:\(config.port)" : "\(host):\(config.port)"
        do {
            let (status, body) = try await ask(host: host, port: config.port, hostHeader: shown, token: config.token)
            guard status == 200 else {
                LogOutput.standardError.write("wpmanager: --diff: the manager at \(shown) answered \(status): \(body)")
                return 1
            }
            LogOutput(fd: 1).write("\nmanager at \(shown) (it reads its own config file):\n" + body)
            return 0
        } catch {
            LogOutput.standardError.write("wpmanager: --diff: no manager answers at \(shown): \(error)\n")
            return 1
        }
    }

    /// One request over one HTTP/1.1 connection; the status and the body.
    static func ask(host: String, port: Int, hostHeader: String, token: String?) async throws -> (Int, String) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        // A manager that accepts but never answers: the connection is closed,
        // which ends the read below.
        let deadline = channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
        defer { deadline.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/reload?dry_run=1")
            head.headers.add(name: "Host", value: hostHeader)
            head.headers.add(name: "Accept", value: "text/plain")
            head.headers.add(name: "User-Agent", value: "wpmanager")
            head.headers.add(name: "Content-Length", value: "0")
            head.headers.add(name: "Connection", value: "close")
            if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var status = 0
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let answer): status = Int(answer.status.code)
                case .body(var chunk): body.writeBuffer(&chunk)
                case .end: return (status, String(buffer: body))
                }
            }
            throw Problem(description: "the connection closed before a whole answer came")
        }
    }
}
