import FoundationEssentials
import Glibc
import Logging
import Synchronization
import SystemHelpers

/// A swift-log handler that writes one JSON object per line:
/// `{"time":"2026-11-27T20:45:11.123Z","level":"info","message":"worker spawned","pid":4242,"task":"Example"}`.
///
/// `time` (RFC 3339 UTC, milliseconds), `level` and `message` come first; every
/// metadata key follows as a field of its own (integers and booleans as JSON
/// numbers and booleans when logged with `.stringConvertible`). A metadata key
/// that is one of the three fixed names gets a `meta_` prefix. Lines are
/// written with one `write` each, under a lock, so they never interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let output: LogOutput

    public init(output: LogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        output.write(Self.line(time: LogTimestamp.now(), level: event.level, message: "\(event.message)", metadata: merged))
    }

    static let fixedKeys: Set<String> = ["time", "level", "message"]

    /// One JSON line, newline included.
    public static func line(time: String, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var out = #"{"time":"# + quoted(time) + #","level":"# + quoted(level.rawValue) + #","message":"# + quoted(message)
        for key in metadata.keys.sorted() {
            let name = fixedKeys.contains(key) ? "meta_" + key : key
            out += "," + quoted(name) + ":" + value(metadata[key]!)
        }
        return out + "}\n"
    }

    static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text):
            return quoted(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as any BinaryInteger: return "\(number)"
            case let flag as Bool: return flag ? "true" : "false"
            default: return quoted(convertible.description)
            }
        case .array(let items):
            return "[" + items.map { Self.value($0) }.joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.keys.sorted().map { quoted($0) + ":" + Self.value(entries[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal, quotes included.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20 || s.value == 0x7F:
                out += "\\u" + String(repeating: "0", count: 4 - String(s.value, radix: 16).count) + String(s.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Where log lines go: a file descriptor (standard error by default), one
/// `write` per line under a lock.
public final class LogOutput: Sendable {
    private let fd: Mutex<Int32>

    public init(fd: Int32) { self.fd = Mutex(fd) }

    public static let standardError = LogOutput(fd: 2)

    public func write(_ line: String) {
        fd.withLock { fd in _ = writeAll(fd, line.utf8) }
    }
}
