import Foundation

@testable import Supervisor

/// A directory of task files that is removed when the test ends.
final class TaskDirectory {
    let path: String

    init(files: [String] = [], directories: [String] = []) throws {
        path = NSTemporaryDirectory() + "wpm-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for file in files {
            _ = FileManager.default.createFile(atPath: path + "/" + file, contents: Data("#!/bin/sh\n".utf8))
            chmod(path + "/" + file, 0o755)
        }
        for directory in directories {
            try FileManager.default.createDirectory(atPath: path + "/" + directory, withIntermediateDirectories: true)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func parse(_ json: String) throws(ConfigError) -> ManagerConfig {
        try ConfigLoader.parse(data: Data(json.utf8), file: "test.json")
    }

    /// The error a config gives, or nil if it loads.
    func error(_ json: String) -> ConfigError? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error
        }
    }
}
