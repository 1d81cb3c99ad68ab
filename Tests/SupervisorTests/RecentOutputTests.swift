import Foundation
import Testing

@testable import Supervisor

@Suite struct RecentOutputTests {
    private func lines(_ texts: [String]) -> [ArraySlice<UInt8>] { texts.map { Array($0.utf8)[...] } }

    @Test func keepsTheLastLinesOfEachTaskWithinItsLineAndByteBounds() {
        let recent = RecentOutput(maxLines: 3, maxBytes: 10)
        recent.append(task: "A", pid: 1, lines: lines(["a1", "a2", "a3", "a4"]))
        recent.append(task: "B", pid: 2, lines: lines(["b1"]))
        #expect(recent.last(10, of: "A").map(\.line) == ["a2", "a3", "a4"])
        #expect(recent.last(2, of: "A").map(\.line) == ["a3", "a4"])
        #expect(recent.last(0, of: "A").isEmpty)
        #expect(recent.last(10, of: "B").map { "\($0.task) \($0.pid) \($0.line)" } == ["B 2 b1"])
        #expect(recent.last(10, of: "C").isEmpty)
        // Bytes: 4 + 4 + 4 > 10, the oldest goes; one longer line alone is kept.
        recent.append(task: "B", pid: 2, lines: lines(["bbbb", "cccc", "dddd"]))
        #expect(recent.last(10, of: "B").map(\.line) == ["cccc", "dddd"])
        recent.append(task: "B", pid: 2, lines: lines([String(repeating: "z", count: 50)]))
        #expect(recent.last(10, of: "B").map(\.line.count) == [50])
    }

    @Test func aFollowerGetsTheBacklogThenNewLinesOfItsTaskOnly() async {
        let recent = RecentOutput()
        recent.append(task: "A", pid: 1, lines: lines(["old1", "old2", "old3"]))
        let following = recent.follow("A", last: 2)
        #expect(following.backlog.map(\.line) == ["old2", "old3"])
        recent.append(task: "B", pid: 2, lines: lines(["other"]))
        recent.append(task: "A", pid: 1, lines: lines(["new"]))
        following.end()
        var got: [OutputFollowItem] = []
        for await item in following { got.append(item) }
        #expect(got.count == 1)
        guard case .line(let line) = got.first else { Issue.record("no line"); return }
        #expect(line.line == "new")
        #expect(recent.followerCount == 0)
    }

    @Test func aSlowFollowerLosesLinesAndIsToldHowMany() async {
        let recent = RecentOutput()
        let following = recent.follow("A", last: 0, bufferSize: 4)
        // Nobody reads: 4 fit, 6 are lost; the writer never waits.
        recent.append(task: "A", pid: 1, lines: lines((1...10).map { "l\($0)" }))
        var iterator = following.makeAsyncIterator()
        var got: [OutputFollowItem] = []
        for _ in 0..<4 { if let item = await iterator.next() { got.append(item) } }
        // Room again: the next line is preceded by the count of lost ones.
        recent.append(task: "A", pid: 1, lines: lines(["l11"]))
        following.end()
        while let item = await iterator.next() { got.append(item) }
        let texts = got.map { item -> String in
            switch item {
            case .line(let line): line.line
            case .lost(let count): "lost \(count)"
            case .heartbeat: "ping"
            }
        }
        #expect(texts == ["l1", "l2", "l3", "l4", "lost 6", "l11"])
    }

    @Test func theLossIsToldOnceTheClientCaughtUpEvenWithoutANewLine() async {
        let recent = RecentOutput()
        let following = recent.follow("A", last: 0, bufferSize: 2)
        recent.append(task: "A", pid: 1, lines: lines(["a", "b", "c", "d", "e"]))
        var iterator = following.makeAsyncIterator()
        var got: [OutputFollowItem] = []
        for _ in 0..<3 { if let item = await iterator.next() { got.append(item) } }
        #expect(got.count == 3)
        #expect(got.last == .lost(3))
        following.end()
    }
}
