import Foundation
import Testing

@testable import wpconsole

/// `tail` and `top`: what the parser takes and refuses, and what `top` draws.
@Suite struct TailTopTests {
    @Test(arguments: [
        ("tail Work", Command.tail(tasks: ["Work"], lines: 10, follow: false)),
        ("tail -f Work Other", .tail(tasks: ["Work", "Other"], lines: 10, follow: true)),
        ("tail -n 3 Work", .tail(tasks: ["Work"], lines: 3, follow: false)),
        ("TAIL Work -f -n 0", .tail(tasks: ["Work"], lines: 0, follow: true)),
        ("tail --follow --lines 1000 Work", .tail(tasks: ["Work"], lines: 1000, follow: true)),
        ("tail -- -odd", .tail(tasks: ["-odd"], lines: 10, follow: false)),
        ("tail - Work", .tail(tasks: ["-", "Work"], lines: 10, follow: false)),
        ("top", .top), ("TOP", .top),
    ])
    func parses(_ line: String, _ expected: Command) throws {
        #expect(try CommandParser.parse(line) == expected)
    }

    @Test(arguments: [
        ("tail", "tail: missing TASK (usage: tail [-f] [-n N] TASK...)"),
        ("tail -f", "tail: missing TASK (usage: tail [-f] [-n N] TASK...)"),
        ("tail -n", "tail: missing N after -n (usage: tail [-f] [-n N] TASK...)"),
        ("tail -n -1 Work", #"tail: N must be a whole number from 0 to 1000, got "-1""#),
        ("tail -n 1001 Work", #"tail: N must be a whole number from 0 to 1000, got "1001""#),
        ("tail -n 99999999999999999999 Work", #"tail: N must be a whole number from 0 to 1000, got "99999999999999999999""#),
        ("tail -F Work", #"tail: unknown option "-F" (usage: tail [-f] [-n N] TASK...)"#),
        ("top x", #"top: unexpected "x" (usage: top)"#),
    ])
    func refuses(_ line: String, _ message: String) {
        #expect(throws: CommandError(message)) { try CommandParser.parse(line) }
    }

    @Test func onlyWatchTailFollowAndTopLastUntilInterrupted() {
        #expect(Command.top.lastsUntilInterrupted)
        #expect(Command.tail(tasks: ["A"], lines: 1, follow: true).lastsUntilInterrupted)
        #expect(!Command.tail(tasks: ["A"], lines: 1, follow: false).lastsUntilInterrupted)
        #expect(!Command.list.lastsUntilInterrupted)
        #expect(Command.logsPath(task: "a b", lines: 5, follow: true) == "/tasks/a%20b/logs?lines=5&follow=1")
    }

    @Test func aTailLineIsTaskPidAndTheLine() {
        let line = TailLine.format(#"{"line":"hi there","pid":42,"task":"Work","time":"2026-12-03T13:00:00Z"}"#, prefix: "", task: "Work")
        #expect(line == .out("[Work 42] hi there"))
        #expect(TailLine.format(#"{"lines_lost":7}"#, prefix: "h:1: ", task: "Work") == .err("h:1: Work: 7 line(s) lost: the console did not keep up"))
        let parsed = TailLine.parse("2026-12-03T13:00:00Z [42] a [b] c", prefix: "", task: "Work")
        #expect(parsed.time == "2026-12-03T13:00:00Z" && parsed.line == .out("[Work 42] a [b] c"))
    }

    @Test func topGroupsByManagerAndTaskAndSortsOnTheKey() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let workers = [
            TopView.Worker(pid: 10, startedAt: now - 75, lastAliveAt: now - 2, state: "running", status: "working", job: "j1",
                cpuSeconds: 1, rssBytes: 3 << 20, cpuPercent: 5),
            TopView.Worker(pid: 11, startedAt: now - 4000, lastAliveAt: nil, state: "stopping", status: nil, job: nil,
                cpuSeconds: 1, rssBytes: 1 << 20, cpuPercent: 50),
        ]
        var view = TopView(
            managers: [
                .init(host: "a:1", problem: nil, tasks: [.init(name: "Work", active: 1, cardinality: 2, workers: workers)]),
                .init(host: "b:1", problem: "connection refused", tasks: []),
            ], sort: .cpu, now: now)
        var lines = view.lines(width: 200, height: 50)
        #expect(lines[0].contains("sorted by CPU"))
        #expect(lines[2] == "a:1")
        #expect(lines[3] == "  Work: 1/2 workers, CPU 55.0, memory 4.0 MiB")
        #expect(lines[4].hasPrefix("    11         1h06m   50.0   1.0 MiB       - stopping"))
        #expect(lines[5].hasPrefix("    10         1m15s    5.0   3.0 MiB      2s working   j1"))
        #expect(lines[6] == "b:1: connection refused")
        view.sort = .memory
        lines = view.lines(width: 200, height: 50)
        #expect(lines[4].hasPrefix("    10 ") && lines[5].hasPrefix("    11 "))
        view.sort = .pid
        #expect(view.lines(width: 200, height: 50)[4].hasPrefix("    10 "))
        // The screen's size bounds it.
        let small = view.lines(width: 20, height: 3)
        #expect(small.count == 3 && small.allSatisfy { $0.count <= 20 })
    }
}
