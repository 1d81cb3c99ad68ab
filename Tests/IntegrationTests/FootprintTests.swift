import Foundation
import Testing

/// The manager loads neither Foundation nor ICU: about 8 MiB of code pages
/// (README, Design: "No Foundation in the manager").
extension IntegrationSuite {
@Suite struct FootprintTests {
    @Test func theManagerLoadsNeitherFoundationNorICU() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 1}}"#)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Work", count: 1)
            // Read to the end: /proc files report no size.
            let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(m.pid)/maps"))
            let maps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
            try handle.close()
            let files = Set(
                maps.split(separator: "\n").compactMap { line -> String? in
                    guard let path = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).first,
                        path.hasPrefix("/")
                    else { return nil }
                    return String(path.split(separator: "/").last!)
                })
            // The tests' debug build links the Swift libraries dynamically:
            // they are there to be seen.
            #expect(files.contains("libswiftCore.so"), "\(files.sorted())")
            for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
                #expect(!files.contains(library), "\(library) is loaded")
            }
        }
    }
}
}
