/// One server-sent event stream the console follows: `watch` has one per
/// manager, `tail -f` one per manager and task.
struct FollowedStream: Sendable {
    let host: HostAddress
    let path: String
    /// Said once the manager is subscribed: what follows is not missed.
    let opened: String
    /// Said when the manager ends the stream.
    let ended: String
    /// One message (its data) as a line, given the `HOST: ` prefix.
    let line: @Sendable (_ data: String, _ prefix: String) -> OutputLine
}

extension Console {
    /// Follows every stream at once until Ctrl-C (the normal end: `.ok`,
    /// then `stopped` is said) or until none is left. A manager that
    /// refuses, cannot be reached or ends its stream is said so at once.
    func followAll(_ streams: [FollowedStream], stopped: String) async -> Result {
        let (client, output, fleet) = (self.client, self.output, isFleet)
        let allInterrupted = await withTaskGroup(of: Bool.self) { group in
            for stream in streams {
                group.addTask {
                    let prefix = fleet ? "\(stream.host): " : ""
                    let outcome = await client.follow(
                        stream.path, from: stream.host, opened: { output.write([.err(prefix + stream.opened)]) }
                    ) { data in
                        output.write([stream.line(data, prefix)])
                    }
                    switch outcome {
                    case .interrupted:
                        return true
                    case .ended:
                        output.write([.err(prefix + stream.ended)])
                    case .refused(let reply):
                        output.write(ReplyFormatter.lines(reply, from: stream.host, prefixed: fleet))
                    case .unreachable(let reason):
                        output.write([.err(prefix + ReplyFormatter.unreachable(stream.host, reason, prefixed: fleet))])
                    }
                    return false
                }
            }
            return await group.allSatisfy { $0 }
        }
        if allInterrupted { output.write([.err(stopped)]) }
        return allInterrupted ? .ok : .failed
    }
}
