import CReadline
import Glibc
import Synchronization

/// The glue between readline's C completion callbacks and `Completer`.
/// readline calls these on the line editor's thread, inside
/// `rl_callback_read_char`; they can capture nothing, so their state lives
/// here, behind locks.
enum ReadlineCompletion {
    /// The completer Tab consults; set by the line editor.
    static let source = Mutex<CompletionState?>(nil)
    /// The candidates of the completion in progress, handed out one by one.
    fileprivate static let pending = Mutex<(candidates: [String], next: Int)>(([], 0))

    /// Hooks the completion into readline.
    static func install(_ state: CompletionState) {
        source.withLock { $0 = state }
        wpc_rl_set_attempted_completion_function(attemptCompletion)
        // A comma separates addresses (`open a:8010,b:8010`); `:` is part of
        // one. readline keeps the pointer: the copy lives as long as the process.
        wpc_rl_set_completer_word_break_characters(strdup(" \t\n,"))
    }
}

/// readline's `rl_attempted_completion_function`: `text` is the word being
/// completed, which starts at byte `start` of the line.
private func attemptCompletion(
    _ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32
) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    // Never fall back to readline's file name completion.
    wpc_rl_set_attempted_completion_over(1)
    guard let text, let buffer = wpc_rl_line_buffer() else { return nil }
    let before = UnsafeRawBufferPointer(start: buffer, count: Int(max(start, 0)))
    let line = String(decoding: before, as: UTF8.self)
    let word = String(cString: text)
    let state = ReadlineCompletion.source.withLock { $0 }
    let candidates = state?.snapshot.candidates(before: line, word: word) ?? []
    guard !candidates.isEmpty else { return nil }
    ReadlineCompletion.pending.withLock { $0 = (candidates, 0) }
    return rl_completion_matches(text, nextCandidate)
}

/// readline's generator: the next candidate (malloc'd), nil when done.
private func nextCandidate(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    let candidate: String? = ReadlineCompletion.pending.withLock { pending in
        if state == 0 { pending.next = 0 }
        guard pending.next < pending.candidates.count else { return nil }
        defer { pending.next += 1 }
        return pending.candidates[pending.next]
    }
    return candidate.flatMap { strdup($0) }
}
