/// What one manager made of one request.
enum ManagerOutcome: Equatable, Sendable {
    /// The manager answered: HTTP status code and text body.
    case reply(status: Int, body: String)
    /// Nothing usable came back (connection refused, unknown host, timeout,
    /// connection closed); the reason is a short phrase.
    case unreachable(reason: String)

    /// A 2xx reply.
    var succeeded: Bool {
        if case .reply(let status, _) = self { return (200..<300).contains(status) }
        return false
    }

    /// The lines of a reply's body.
    var bodyLines: [String] {
        guard case .reply(_, let body) = self else { return [] }
        return ReplyFormatter.lines(of: body)
    }
}

/// A line for the operator, and where it goes: replies to standard output,
/// errors to standard error.
struct OutputLine: Equatable, Sendable {
    enum Stream: Sendable { case out, err }
    let stream: Stream
    let text: String

    static func out(_ text: String) -> OutputLine { OutputLine(stream: .out, text: text) }
    static func err(_ text: String) -> OutputLine { OutputLine(stream: .err, text: text) }
}

/// How replies are shown. With several managers every line starts with the
/// address of the manager it came from (`a:8010: Running:	true`), so a fleet
/// can be watched and grepped from one console.
enum ReplyFormatter {
    static func lines(_ outcome: ManagerOutcome, from host: HostAddress, prefixed: Bool) -> [OutputLine] {
        let prefix = prefixed ? "\(host): " : ""
        switch outcome {
        case .reply(let status, let body) where (200..<300).contains(status):
            // A blank line (between status blocks) keeps no trailing space.
            return lines(of: body).map { .out($0.isEmpty && prefixed ? "\(host):" : prefix + $0) }
        case .reply(let status, let body):
            let lines = lines(of: body)
            guard !lines.isEmpty else { return [.err(prefix + "error: HTTP \(status) (empty reply)")] }
            return lines.map { .err(prefix + "error: HTTP \(status): " + $0) }
        case .unreachable(let reason):
            return [.err(prefix + unreachable(host, reason, prefixed: prefixed))]
        }
    }

    /// `check`: a 503 from `/readyz` is an answer (not ready, and why), shown
    /// on standard output like a 200; anything else as usual.
    static func readiness(_ outcome: ManagerOutcome, from host: HostAddress, prefixed: Bool) -> [OutputLine] {
        guard case .reply(503, let body) = outcome, !body.isEmpty else { return lines(outcome, from: host, prefixed: prefixed) }
        return lines(.reply(status: 200, body: body), from: host, prefixed: prefixed)
    }

    /// `error: no manager answers at HOST: REASON` (without the address when
    /// the line is already prefixed with it).
    static func unreachable(_ host: HostAddress, _ reason: String, prefixed: Bool) -> String {
        prefixed ? "error: no manager answers: \(reason)" : "error: no manager answers at \(host): \(reason)"
    }

    /// The lines of a text body; a final newline does not make an empty line.
    static func lines(of body: String) -> [String] {
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
