import ArgumentParser
import CShims
import ControlAPI
import Foundation
import Hummingbird
import KeepAlive
import Logging
import Prometheus
import ServiceLifecycle
import Supervisor
import Synchronization

/// `wpmanager -conf=FILE`: keeps the configured worker pools running and
/// serves the HTTP control API.
struct WPManager: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wpmanager",
        abstract: "Keeps pools of worker processes at their size and serves an HTTP control API.",
        discussion: """
            The config is the Go workerpoolmanager's JSON format (see README.md). Tasks listed \
            under "autotasks" start once the HTTP API is listening. SIGINT, SIGTERM and SIGQUIT \
            stop every worker (SIGTERM, grace period, SIGKILL) within force_timeout and exit 0; \
            a second such signal kills every worker at once. SIGHUP is ignored.
            Exit status: 0 after a requested shutdown, 2 for a bad config, usage or address.
            """)

    @Option(
        name: [.customLong("conf", withSingleDash: true), .customLong("conf"), .customLong("config")],
        help: ArgumentHelp("Path to the JSON config file.", valueName: "file"))
    var conf: String

    @Option(
        name: [.customLong("listen"), .customLong("listen", withSingleDash: true)],
        help: ArgumentHelp(
            "Address the HTTP API listens on (default: the config's \"listen\", else 127.0.0.1).",
            valueName: "address"))
    var listen: String?

    @Flag(name: [.customLong("debug"), .customLong("debug", withSingleDash: true)], help: "Log debug messages.")
    var debug = false

    func run() async throws {
        let level: Logger.Level = debug ? .debug : .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "wpmanager")

        var config: ManagerConfig
        do {
            config = try ConfigLoader.load(file: conf)
        } catch {
            FileHandle.standardError.write(Data("wpmanager: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let listen { config.listen = listen }
        for warning in config.warnings { logger.warning("\(warning)") }
        raiseOpenFileLimit()

        let (listenAddress, port) = (config.listen, config.port)
        let keepAlives: KeepAliveHub
        do {
            keepAlives = try KeepAliveHub(
                host: config.keepalives.host, inboundPort: config.keepalives.inboundPort,
                internalPort: config.keepalives.internalPort)
        } catch {
            FileHandle.standardError.write(Data("wpmanager: \(error)\n".utf8))
            throw ExitCode(2)
        }
        logger.notice("keep-alives inbound on \(keepAlives.inboundEndpoint), watchable on \(keepAlives.internalEndpoint)")

        let signals = try SignalPipe(Supervisor.handledSignals)
        let spawner = try Spawner(
            output: OutputRouter(), environment: [KeepAliveEnvironment.endpoint: keepAlives.inboundEndpoint])
        // Metrics go to this registry only (no global MetricsSystem): the
        // supervisor and the HTTP layer get its factory, /metrics shows it.
        let metrics = MetricsEndpoint(registry: PrometheusCollectorRegistry())
        let supervisor = Supervisor(config: config, spawner: spawner, logger: logger, metrics: metrics.factory)
        let router = ControlRoutes.router(for: supervisor, metrics: metrics)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(config.listen, port: config.port), serverName: nil),
            onServerRunning: { channel in
                let address = channel.localAddress
                let host = address?.ipAddress ?? listenAddress
                let shown = host.contains(":") ? "[\(host)]" : host
                logger.notice("HTTP control API listening on \(shown):\(address?.port ?? port)")
                await supervisor.startAutotasks()
            },
            logger: logger)

        let groupBox = Mutex<ServiceGroup?>(nil)
        let service = SupervisorService(supervisor: supervisor, signals: signals.signals, keepAlives: keepAlives) {
            let group = groupBox.withLock { $0 }
            await group?.triggerGracefulShutdown()
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: service),
                    .init(service: app, failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                logger: logger))
        groupBox.withLock { $0 = group }
        do {
            try await group.run()
        } catch {
            logger.critical("\(describe(error, listen: config.listen, port: config.port))")
            throw ExitCode(2)
        }
    }

    private func describe(_ error: any Error, listen: String, port: Int) -> String {
        let text = String(describing: error)
        if text.contains("bind") || text.contains("Address already in use") || text.contains("EADDRINUSE") {
            return "cannot listen on \(listen):\(port): \(text)"
        }
        return "stopped by an error: \(text)"
    }

    /// Each worker with captured output holds a pipe: allow as many as the hard limit.
    private func raiseOpenFileLimit() {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}

/// Runs the supervisor inside the service group.
struct SupervisorService: Service {
    let supervisor: Supervisor
    let signals: AsyncStream<Int32>
    let keepAlives: KeepAliveHub
    let requestShutdown: @Sendable () async -> Void

    func run() async throws {
        await supervisor.run(signals: signals, keepAlives: keepAlives, requestShutdown: requestShutdown)
    }
}

/// Go-era spellings: `-conf=FILE` and `-conf FILE` work as they are.
await WPManager.mainExitingWithStatus2OnUsageErrors()

extension WPManager {
    static func mainExitingWithStatus2OnUsageErrors() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            if code == .success || code == ExitCode(2) || error is ExitCode {
                exit(withError: error)
            }
            // Usage errors exit 2, as the Go version's flag package did.
            let message = fullMessage(for: error)
            let usage =
                message.lowercased().contains("usage:")
                ? "" : "\nUsage: " + usageString() + "\n  See 'wpmanager --help' for more."
            FileHandle.standardError.write(Data((message + usage + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
