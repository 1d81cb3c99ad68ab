/// A two-phase stop (`drain_signal`, `drain_timeout`): a ready worker to be
/// stopped first gets `signal` (Sidekiq's TSTP, a USR1...); its stop signal
/// follows when a keep-alive says `ready` or `stopping`, or after
/// `timeoutMS`. Without a signal, workers get their stop signal at once.
public struct DrainSettings: Sendable, Equatable {
    public static let defaultTimeoutMS = 30_000

    public var signal: Int32?
    public var timeoutMS = DrainSettings.defaultTimeoutMS

    public init(signal: Int32? = nil, timeoutMS: Int = DrainSettings.defaultTimeoutMS) {
        self.signal = signal
        self.timeoutMS = timeoutMS
    }
}
