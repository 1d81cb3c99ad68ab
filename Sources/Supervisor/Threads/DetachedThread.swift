import CShims
import Glibc

/// Starts the manager's own long-lived threads (signals, spawner, keep-alive
/// proxy and listener, output). They are plain POSIX threads: Foundation's
/// `Thread` would load all of Foundation and ICU into the manager for this
/// alone (README, Design: "No Foundation in the manager").
enum DetachedThread {
    /// Runs `body` on a new detached thread named `name` (the kernel keeps
    /// its first 15 bytes). Failing to start a thread is fatal: the
    /// manager cannot work without any of them.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            _ = wpm_set_thread_name(body.name)
            body.run()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            fatalError("cannot start thread \(name): \(String(cString: strerror(result)))")
        }
    }

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}

extension DetachedThread {
    /// Starts `body` on a new thread named `name` (see `start`); the
    /// returned stream ends when `body` has returned. For a service whose
    /// `run` starts its thread and returns once it has ended.
    static func started(name: String, _ body: @escaping @Sendable () -> Void) -> AsyncStream<Void> {
        let (ended, continuation) = AsyncStream<Void>.makeStream()
        start(name: name) {
            body()
            continuation.finish()
        }
        return ended
    }
}
