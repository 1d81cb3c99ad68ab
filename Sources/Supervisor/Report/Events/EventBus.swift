import Synchronization

/// Fans supervisor events out to any number of subscribers. Publishing never
/// waits: each subscriber has a bounded buffer, and a subscriber that does
/// not keep up loses the events that find its buffer full (counted, and
/// announced to it by an `eventsLost` event as soon as there is room again).
public final class EventBus: Sendable {
    /// Events a subscriber may fall behind by before it loses some.
    public static let defaultBufferSize = 1024

    private struct Subscriber {
        let continuation: AsyncStream<SupervisorEvent>.Continuation
        /// Only events of these tasks; nil for all.
        let tasks: Set<String>?
        /// Events it lost and has not been told about yet.
        var unannounced = 0
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
        var sequence: UInt64 = 0
        var lost: UInt64 = 0
        var finished = false
    }

    private let state = Mutex(State())
    /// Called with the number of events a subscriber lost (for metrics).
    private let onLoss: @Sendable (Int) -> Void

    public init(onLoss: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.onLoss = onLoss
    }

    /// A new subscription to the events of `tasks` (nil: every task) from now on.
    public func subscribe(tasks: Set<String>? = nil, bufferSize: Int = defaultBufferSize) -> EventSubscription {
        let (stream, continuation) = AsyncStream.makeStream(
            of: SupervisorEvent.self, bufferingPolicy: .bufferingOldest(max(bufferSize, 2)))
        let id: UInt64? = state.withLock { state in
            guard !state.finished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = Subscriber(continuation: continuation, tasks: tasks)
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return EventSubscription(events: stream, end: {}, ping: {})
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return EventSubscription(
            events: stream, end: { continuation.finish() },
            ping: { _ = continuation.yield(SupervisorEvent(task: nil, kind: .heartbeat)) })
    }

    /// Numbers `event` and hands it to every subscriber that wants it.
    public func publish(_ event: SupervisorEvent) {
        let lost = state.withLock { state -> Int in
            state.sequence += 1
            var event = event
            event.sequence = state.sequence
            var lost = 0
            for (id, subscriber) in state.subscribers {
                if let tasks = subscriber.tasks, !tasks.contains(event.task ?? "") { continue }
                var subscriber = subscriber
                if subscriber.unannounced > 0 {
                    let notice = SupervisorEvent(time: event.time, task: nil, kind: .eventsLost(count: subscriber.unannounced))
                    var numbered = notice
                    numbered.sequence = event.sequence
                    if case .enqueued = subscriber.continuation.yield(numbered) { subscriber.unannounced = 0 }
                }
                if subscriber.unannounced > 0 {
                    subscriber.unannounced += 1
                    lost += 1
                } else if case .dropped = subscriber.continuation.yield(event) {
                    subscriber.unannounced += 1
                    lost += 1
                }
                state.subscribers[id] = subscriber
            }
            state.lost += UInt64(lost)
            return lost
        }
        if lost > 0 { onLoss(lost) }
    }

    /// Ends every subscription (their buffered events are still delivered)
    /// and refuses new ones: the manager is shutting down.
    public func finishAll() {
        let continuations = state.withLock { state in
            state.finished = true
            return state.subscribers.values.map(\.continuation)
        }
        for continuation in continuations { continuation.finish() }
    }

    /// Subscribers connected now.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Events lost by slow subscribers, over all of them, since the start.
    public var lostEvents: UInt64 { state.withLock { $0.lost } }

    /// Events published since the start.
    public var published: UInt64 { state.withLock { $0.sequence } }
}

/// The events of one subscription, in order. `end()` finishes it early
/// (events already buffered are still delivered).
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = SupervisorEvent
    let events: AsyncStream<SupervisorEvent>
    private let finish: @Sendable () -> Void
    private let heartbeat: @Sendable () -> Void

    init(
        events: AsyncStream<SupervisorEvent>, end finish: @escaping @Sendable () -> Void,
        ping heartbeat: @escaping @Sendable () -> Void
    ) {
        self.events = events
        self.finish = finish
        self.heartbeat = heartbeat
    }

    public func end() { finish() }

    /// Adds a `heartbeat` to this subscription only (nothing when its
    /// buffer is full: events are waiting anyway). Not counted as lost.
    public func ping() { heartbeat() }

    public func makeAsyncIterator() -> AsyncStream<SupervisorEvent>.Iterator { events.makeAsyncIterator() }
}
