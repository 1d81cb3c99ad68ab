import Logging
import Supervisor

/// The manager's logging, chosen by `--debug`, `--verbose` and `--json`.
///
/// Levels: by default notice and above (the manager's own start and stop,
/// operator actions, stalls, crashes, outside signals, held-back spawns,
/// SIGKILLs, errors); `--verbose` adds info (every worker's spawn, first
/// keep-alive, SIGTERM and expected exit); `--debug` adds debug messages.
enum LogSetup {
    static func level(debug: Bool, verbose: Bool) -> Logger.Level {
        debug ? .debug : verbose ? .info : .notice
    }

    /// Once per process, before the first `Logger` is made.
    static func bootstrap(level: Logger.Level, json: Bool) {
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler()
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
