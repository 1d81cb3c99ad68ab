import Dispatch

/// What reading a line gave.
enum LineInput: Equatable, Sendable {
    case line(String)
    /// Ctrl-C: the line being typed was dropped.
    case interrupted
    /// End of input: Ctrl-D, or the pipe closed.
    case end
}

/// Where console lines come from: the readline editor on a terminal, plain
/// reads otherwise.
protocol LineReader: Sendable {
    func read(prompt: String) async -> LineInput
    /// Records a line that was entered (history).
    func remember(_ line: String) async
    /// Waits for `command`, the command being carried out; Ctrl-C meanwhile
    /// cancels it.
    func whileRunning<T: Sendable>(_ command: Task<T, Never>) async -> T
}

/// Runs blocking input calls on their own thread, off the concurrency pool.
enum BlockingInput {
    static let queue = DispatchQueue(label: "wpconsole.input")

    static func run<T: Sendable>(on queue: DispatchQueue = queue, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}

/// Standard input that is not a terminal: lines as they come, no prompt, no
/// history, no escape sequences, so piped commands give clean output.
struct PlainLineReader: LineReader {
    func read(prompt: String) async -> LineInput {
        await BlockingInput.run { Swift.readLine(strippingNewline: true).map(LineInput.line) ?? .end }
    }

    func remember(_ line: String) async {}

    func whileRunning<T: Sendable>(_ command: Task<T, Never>) async -> T {
        await command.value
    }
}
