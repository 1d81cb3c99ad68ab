import Foundation
import Glibc
import Testing

@testable import Supervisor

/// Directory entries are read in place, up to their name's NUL: the kernel's
/// record ends after the name, not after the 256 bytes `dirent` declares.
@Suite struct ProcFSTests {
    /// An entry whose name ends 13 bytes before an unreadable page, as the
    /// last entry of `readdir`'s buffer at the end of a heap mapping: reading
    /// the whole declared `d_name` there dies of SIGSEGV (the manager did,
    /// listing workers while others spawned and exited).
    @Test func anEntryAtTheEndOfItsMappingIsReadUpToItsName() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(memory != MAP_FAILED)
        defer { munmap(memory, 2 * page) }
        #expect(mprotect(memory + page, page, PROT_NONE) == 0)
        let entry = memory + page - 32
        let nameOffset = MemoryLayout<dirent>.offset(of: \.d_name)!
        #expect(nameOffset + 5 <= 32)
        for (index, byte) in "4242\0".utf8.enumerated() { (entry + nameOffset + index).storeBytes(of: byte, as: UInt8.self) }
        #expect(ProcFS.name(of: entry.assumingMemoryBound(to: dirent.self)) == "4242")
    }

    @Test func namesOfARealDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("procfs-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let long = String(repeating: "n", count: 255)
        for name in ["1", "23", long] { _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: nil) }
        let handle = try #require(opendir(dir))
        defer { closedir(handle) }
        var names: Set<String> = []
        while let entry = readdir(handle) { names.insert(ProcFS.name(of: entry)) }
        #expect(names == [".", "..", "1", "23", long])
        #expect(ProcFS.threads(of: getpid()).contains(getpid()))
    }
}
