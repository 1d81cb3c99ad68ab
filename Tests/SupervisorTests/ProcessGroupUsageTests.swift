import Foundation
import Glibc
import Testing

@testable import Supervisor

@Suite struct ProcessGroupUsageTests {
    @Test func aStatLineIsReadPastACommandWithSpacesAndParentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ... rss (24)
        let line = "42 (a (b) c) S 1 40 40 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 123 4096000 300 18446744073709551615"
        let stat = ProcessGroupUsage.parseStat(Array(line.utf8)[...])
        #expect(stat == .init(group: 40, ticks: 300, pages: 300))
        #expect(ProcessGroupUsage.parseStat(Array("42 (x) S 1 2".utf8)[...]) == nil)
        #expect(ProcessGroupUsage.parseStat(Array("garbage".utf8)[...]) == nil)
    }

    @Test func theUsageOfThisProcesssGroupIsRead() {
        let group = getpgrp()
        let usage = ProcessGroupUsage.read(groups: [group])[group]
        #expect((usage?.rssBytes ?? 0) > 1 << 20)
        #expect((usage?.cpuSeconds ?? 0) > 0)
        #expect(ProcessGroupUsage.read(groups: []).isEmpty)
    }
}
