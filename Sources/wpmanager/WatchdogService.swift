import ServiceLifecycle
import Supervisor

/// Under a systemd watchdog: `WATCHDOG=1` every `interval` (half of
/// `WATCHDOG_USEC`) for as long as the supervisor actor answers, so a hung
/// manager gets restarted. Added first to the service group, it is shut down
/// last: it keeps beating while the workers are being stopped.
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration
    let supervisor: Supervisor

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await supervisor.liveProcesses
                notifier.notify("WATCHDOG=1")
                try? await Task.sleep(for: interval)
            }
        }
    }
}
