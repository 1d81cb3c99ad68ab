import ArgumentParser
import CommandLineOptions
import CShims
import ControlAPI
import FoundationEssentials
import Glibc
import Hummingbird
import KeepAlive
import Logging
import Prometheus
import ServiceLifecycle
import Supervisor
import SystemHelpers

/// `wpmanager -conf=FILE`: keeps the configured worker pools running and
/// serves the HTTP control API.
struct WPManager: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wpmanager",
        abstract: "Keeps pools of worker processes at their size and serves an HTTP control API.",
        discussion: """
            The config is the Go workerpoolmanager's JSON format (see README.md). Tasks listed \
            under "autotasks" start once the HTTP API is listening. SIGINT, SIGTERM and SIGQUIT \
            stop every worker (its task's stop_signal, SIGTERM by default, then SIGKILL after the grace \
            period) within force_timeout and exit 0; \
            a second such signal kills every worker at once. SIGHUP (like POST /reload) re-reads the \
            config and applies what changed, task by task (an invalid config changes nothing). SIGUSR1 logs every \
            task and worker with its state; SIGUSR2 reopens the worker log files (log_dir).
            Workers that fail to start, end within min_uptime, or fail (a non-zero exit or a signal) \
            within backoff_reset of their start are restarted after a backoff (backoff_initial, \
            doubled each time, at most backoff_max, with jitter). Cardinality, pauses and \
            started/stopped tasks set through the API survive a restart (state_file). Workers left \
            running by a killed manager of the same config are stopped at start; workers of a task \
            with pdeathsig get their stop signal when the manager dies. Workers are started with posix_spawn; \
            a task with user, group, umask, nice, oom_score_adj, rlimits or pdeathsig goes through \
            the exec helper wpexec, which must be beside the wpmanager binary.
            --check-config validates the config and prints each task's effective settings; with --diff \
            it also prints what a reload of the manager running with that config would do.
            Logs go to standard error: by default notice and above (start, stop, operator actions, \
            stalls, crashes, held-back spawns, errors); --verbose adds every worker's spawn, first \
            keep-alive, SIGTERM and expected exit; --debug adds debug messages.
            Under systemd (NOTIFY_SOCKET set) it sends READY=1 once HTTP listens, WATCHDOG=1 at \
            half of WATCHDOG_USEC, STOPPING=1 at shutdown, then EXTEND_TIMEOUT_USEC every second \
            while workers are being stopped (the time left of force_timeout plus 5 s).
            Probes: GET /healthz (the supervisor answers within 5 s) and GET /readyz (every running \
            task has min_ready ready workers and has not been in restart backoff longer than \
            ready_grace) answer without the token, which only adds the task names and reasons.
            Security: with a token (config key "token", or WPM_TOKEN in the environment, which wins) \
            every HTTP request must carry "Authorization: Bearer TOKEN" (else 401); a token is \
            required when the API listens on anything but a loopback address. Request targets \
            over 8 KiB get 414, bodies over 64 KiB 413; connections idle for http_timeout \
            (10 s by default) are closed. Workers never see WPM_* variables.
            Exit status: 0 after a requested shutdown, 2 for a bad config, usage or address.
            """)

    @Option(
        name: .goStyle("conf", singleDashFirst: true, aliases: ["config"]),
        help: ArgumentHelp("Path to the JSON config file.", valueName: "file"))
    var conf: String

    @Option(
        name: .goStyle("listen"),
        help: ArgumentHelp(
            "Address the HTTP API listens on (default: the config's \"listen\", else 127.0.0.1); any but a loopback address needs a token.",
            valueName: "address"))
    var listen: String?

    @Flag(
        name: .goStyle("verbose"),
        help: "Also log the routine life of every worker: spawned, first keep-alive, SIGTERM sent, expected exit.")
    var verbose = false

    @Flag(
        name: .goStyle("debug"),
        help: "Log debug messages too (implies --verbose).")
    var debug = false

    @Flag(
        name: .goStyle("json"),
        help: "Log one JSON object per line: time (RFC 3339 UTC, ms), level, message, and metadata such as task and pid as fields.")
    var json = false

    @Flag(
        name: .goStyle("clean-state"),
        help: ArgumentHelp(
            "Start from the config alone: ignore the state file (cardinality set and tasks started or stopped at run time by earlier runs).",
            discussion: "The state file (config key state_file, by default NAME.state.json beside NAME.json) is rewritten at the next change."))
    var cleanState = false

    @Flag(
        name: .goStyle("check-config"),
        help: ArgumentHelp(
            "Validate the config, print each task's effective settings and exit (0, or 2 for a config that cannot be used); nothing is started.",
            discussion: "Environment values are not printed, only their names."))
    var checkConfig = false

    @Flag(
        name: .goStyle("diff"),
        help: ArgumentHelp(
            "With --check-config: also ask the manager running with this config (its listen, port and token) what a reload would do, and print it (exit 1 when no manager answers).",
            discussion: "The manager re-reads its own config file for that (POST /reload?dry_run=1); nothing changes."))
    var diff = false

    func validate() throws {
        if diff && !checkConfig { throw ValidationError("--diff is only valid with --check-config") }
    }

    func run() async throws {
        LogSetup.bootstrap(level: LogSetup.level(debug: debug, verbose: verbose), json: json)
        let logger = Logger(label: "wpmanager")

        var config: ManagerConfig
        // At start and at each reload (SIGHUP, POST /reload).
        let readConfig: @Sendable () throws(ConfigError) -> ManagerConfig = { [conf, listen] () throws(ConfigError) in
            var config = try ConfigLoader.load(file: conf)
            if let listen { config.listen = listen }
            try config.applyAccessToken(environment: ProcessInfo.processInfo.environment)
            return config
        }
        do {
            config = try readConfig()
        } catch {
            LogOutput.standardError.write("wpmanager: \(error)\n")
            throw ExitCode(2)
        }
        if checkConfig {
            let status = ConfigCheck.run(config, helper: ExecHelper.besideExecutable())
            guard diff, status == 0 else { throw ExitCode(status) }
            throw ExitCode(await ReloadPreviewClient.run(config))
        }
        for warning in config.warnings { logger.warning("\(warning)") }
        let needHelper = config.tasks.filter(\.launch.needsHelper).map(\.name)
        if !needHelper.isEmpty, access(ExecHelper.besideExecutable(), X_OK) != 0 {
            logger.error(
                "exec helper \(ExecHelper.besideExecutable()) cannot be run: every spawn of \(needHelper.joined(separator: ", ")) will fail")
        }
        raiseOpenFileLimit()

        let (listenAddress, port) = (config.listen, config.port)
        let keepAlives: KeepAliveHub
        do {
            keepAlives = try KeepAliveHub(
                host: config.keepalives.host, inboundPort: config.keepalives.inboundPort,
                internalPort: config.keepalives.internalPort)
        } catch {
            LogOutput.standardError.write("wpmanager: \(error)\n")
            throw ExitCode(2)
        }
        logger.notice("keep-alives inbound on \(keepAlives.inboundEndpoint), watchable on \(keepAlives.internalEndpoint)")

        // Workers an earlier run left behind (it was killed) go before any
        // task starts, so no task ever has more workers than it should.
        let state = StateSetup(config: config, clean: cleanState, logger: logger)
        LeftoverWorkers.stop(
            id: state.path,
            stopSignals: Dictionary(config.tasks.map { ($0.name, $0.launch.stopSignal) }, uniquingKeysWith: { a, _ in a }),
            grace: .milliseconds(config.tasks.map(\.gracePeriodMS).max() ?? config.keepalives.gracePeriodMS),
            logger: logger)

        let notifier = systemdNotifier(logger: logger)
        let signals = try SignalStream(Supervisor.handledSignals)
        let output = OutputRouter(logs: config.workerLogs, logger: logger)
        let spawner = try Spawner(
            output: output,
            environment: [KeepAliveEnvironment.endpoint: keepAlives.inboundEndpoint, LeftoverWorkers.variable: state.path])
        // Metrics go to this registry only (no global MetricsSystem): the
        // supervisor and the HTTP layer get its factory, /metrics shows it.
        let metrics = MetricsEndpoint(registry: PrometheusCollectorRegistry())
        // Spawns on its own thread, which its service starts and ends.
        let processes = PosixProcessControl(spawner: spawner)
        let supervisor = Supervisor(
            config: config, spawner: spawner, logger: logger, stateWriter: state.writer, metrics: metrics.factory,
            configSource: readConfig, processes: processes)
        if let restored = state.restored {
            for warning in await supervisor.restore(restored) { logger.warning("\(warning)") }
        }
        let protection = HTTPProtection(token: config.token, timeout: .milliseconds(config.httpTimeoutMS))
        let router = ControlRoutes.router(for: supervisor, metrics: metrics, protection: protection)
        let app = Application(
            router: router, server: protection.server,
            configuration: .init(address: .hostname(config.listen, port: config.port), serverName: nil),
            onServerRunning: { channel in
                // No busy loop when every descriptor is in use (README, "Faults").
                do { try await AcceptPause.install(on: channel) } catch {
                    logger.warning("HTTP API: no pause on accept errors: \(error)")
                }
                let address = channel.localAddress
                let host = address?.ipAddress ?? listenAddress
                let shown = host.contains(":") ? "[\(host)]" : host
                logger.notice("HTTP control API listening on \(shown):\(address?.port ?? port)")
                notifier?.notify("READY=1\nSTATUS=HTTP control API listening on \(shown):\(address?.port ?? port)")
                await supervisor.startAutotasks()
            },
            logger: logger)

        let stopTimeout = notifier.map { StopTimeoutService(notifier: $0, supervisor: supervisor) }
        let service = SupervisorService(supervisor: supervisor, signals: signals.signals, keepAlives: keepAlives)
        // The first shutdown signal: the supervisor begins stopping every
        // task and asks for the group's graceful shutdown through this.
        let shutdown = ShutdownTrigger(requests: supervisor.shutdownRequests) {
            notifier?.notify("STOPPING=1")
            stopTimeout?.shutdownBegan()
        }
        let watchdog = notifier.flatMap { notifier in
            notifier.watchdogInterval.map { WatchdogService(notifier: notifier, interval: $0, supervisor: supervisor) }
        }
        // Started in this order and shut down in reverse: HTTP first, then
        // the supervisor stops every worker (the watchdog keeps beating and
        // the stop timeout is extended until they are gone), then the
        // output writers write the workers' last lines, the spawner thread
        // ends (the workers' parent-death signal is tied to it) and the
        // keep-alive sockets close.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: keepAlives), .init(service: processes), .init(service: output)]
                    + (watchdog.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? [])
                    + (stopTimeout.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? []) + [
                        .init(service: service),
                        .init(service: app, failureTerminationBehavior: .gracefullyShutdownGroup),
                        .init(service: shutdown, successTerminationBehavior: .gracefullyShutdownGroup),
                    ],
                logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("\(describe(error, listen: config.listen, port: config.port))")
            throw ExitCode(2)
        }
        state.writer.flush()
    }

    /// Under systemd (`$NOTIFY_SOCKET`): the notifier; the variables are
    /// removed from the environment so that workers do not inherit them.
    private func systemdNotifier(logger: Logger) -> SystemdNotifier? {
        defer { SystemdNotifier.unsetEnvironment() }
        do {
            guard let notifier = try SystemdNotifier(environment: ProcessInfo.processInfo.environment) else { return nil }
            let watchdog = notifier.watchdogInterval.map { " (watchdog every \($0.milliseconds) ms)" } ?? ""
            logger.info("systemd notifications to \(notifier.socketName)\(watchdog)")
            return notifier
        } catch {
            logger.warning("systemd notifications disabled: \(error)")
            return nil
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

    func run() async throws {
        await supervisor.run(signals: signals, keepAlives: keepAlives)
    }
}

// Two malloc arenas, not glibc's default of eight per core: every thread
// that allocates (HTTP, intake, spawner, output, the supervisor) got an
// arena of its own, and the pools' records spread over them (with 1000
// workers, 6.2 MiB of anonymous memory against 5.7 with two; one arena
// took 4.9 MiB but halved keep-alive ingest). MALLOC_ARENA_MAX, when set,
// still decides (README, "Performance").
if getenv("MALLOC_ARENA_MAX") == nil { _ = wpm_limit_malloc_arenas(2) }

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
            Glibc.exit(0)
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
            LogOutput.standardError.write(message + usage + "\n")
            Glibc.exit(2)
        }
    }
}

