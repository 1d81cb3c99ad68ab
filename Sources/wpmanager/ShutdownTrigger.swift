import ServiceLifecycle

/// The last service of the group: it ends when the supervisor asks for the
/// shutdown (its first shutdown signal), after `onRequest` (systemd's
/// STOPPING=1); its `successTerminationBehavior` then shuts the group down
/// gracefully, in reverse order. So the supervisor needs no reference to
/// the group. At a graceful shutdown begun elsewhere (the HTTP server
/// failed) it ends too.
struct ShutdownTrigger: Service {
    let requests: AsyncStream<Void>
    let onRequest: @Sendable () -> Void

    func run() async {
        for await _ in requests.cancelOnGracefulShutdown() {
            onRequest()
            return
        }
    }
}
