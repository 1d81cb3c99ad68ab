import FoundationEssentials
import Glibc
import SystemHelpers

/// A file of variable assignments in systemd's `EnvironmentFile=` syntax
/// (`env_file`), read at every spawn so that a rotated secret is picked up.
///
/// `NAME=value` per line; whitespace around the name and the value is
/// dropped; empty lines, lines starting with `#` or `;` and lines without
/// `=` are ignored. An unquoted value keeps a character after `\` (`\\` is
/// `\`) and a `\` at the end of a line continues it on the next. A
/// `'...'` value is taken as it is, newlines included; in a `"..."` value
/// `\` keeps `"`, `\`, `` ` `` and `$`, continues the line before a
/// newline, and is kept with anything else. No expansion of any kind.
/// Unlike systemd, which skips them with a warning, a name that is empty or
/// holds whitespace (`export NAME=...`) and a NUL byte are errors.
public enum EnvironmentFile {
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// The assignments of `path`, in order (a later one wins).
    public static func read(_ path: String) throws(Problem) -> [(String, String)] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Problem(description: "env_file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let got = retryingOnInterrupt { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            guard got >= 0 else { throw Problem(description: "env_file \(path): \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            bytes += chunk[0..<got]
            guard bytes.count <= 1 << 20 else { throw Problem(description: "env_file \(path): larger than 1 MiB") }
        }
        do {
            return try parse(bytes)
        } catch {
            throw Problem(description: "env_file \(path): \(error.description)")
        }
    }

    /// The assignments in `bytes`.
    public static func parse(_ bytes: [UInt8]) throws(Problem) -> [(String, String)] {
        guard !bytes.contains(0) else { throw Problem(description: "holds a NUL byte") }
        var result: [(String, String)] = []
        var at = 0
        var line = 1
        let newline = UInt8(ascii: "\n")
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0d }

        while at < bytes.count {
            // Before the name: blanks, a comment, an empty line.
            while at < bytes.count, isBlank(bytes[at]) { at += 1 }
            guard at < bytes.count else { break }
            if bytes[at] == newline {
                at += 1
                line += 1
                continue
            }
            if bytes[at] == UInt8(ascii: "#") || bytes[at] == UInt8(ascii: ";") {
                while at < bytes.count, bytes[at] != newline { at += 1 }
                continue
            }
            let nameLine = line
            var name: [UInt8] = []
            while at < bytes.count, bytes[at] != newline, bytes[at] != UInt8(ascii: "=") {
                name.append(bytes[at])
                at += 1
            }
            // No "=" on the line: ignored.
            guard at < bytes.count, bytes[at] == UInt8(ascii: "=") else { continue }
            at += 1
            while let last = name.last, isBlank(last) { name.removeLast() }
            let nameText = String(decoding: name, as: UTF8.self)
            guard !name.isEmpty, !name.contains(where: isBlank) else {
                throw Problem(description: "line \(nameLine): \(nameText.debugDescription) is not a variable name")
            }
            let value = try parseValue(bytes, &at, &line)
            result.append((nameText, String(decoding: value, as: UTF8.self)))
        }
        return result
    }

    /// The value after "=", up to the end of its (last) line.
    private static func parseValue(_ bytes: [UInt8], _ at: inout Int, _ line: inout Int) throws(Problem) -> [UInt8] {
        let newline = UInt8(ascii: "\n")
        let backslash = UInt8(ascii: "\\")
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0d }
        var value: [UInt8] = []
        // Length of `value` without the unquoted blanks at its end.
        var kept = 0
        // In an unquoted part (quotes are plain characters there); false at
        // the start and after a closing quote, where blanks are skipped.
        var started = false
        while at < bytes.count {
            let byte = bytes[at]
            if byte == newline {
                at += 1
                line += 1
                break
            }
            if !started, isBlank(byte) {
                at += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "'") where !started:
                let opened = line
                at += 1
                while at < bytes.count, bytes[at] != UInt8(ascii: "'") {
                    if bytes[at] == newline { line += 1 }
                    value.append(bytes[at])
                    at += 1
                }
                guard at < bytes.count else { throw Problem(description: "line \(opened): a ' quote is not closed") }
                at += 1
                kept = value.count
                started = false
            case UInt8(ascii: "\"") where !started:
                let opened = line
                at += 1
                while at < bytes.count, bytes[at] != UInt8(ascii: "\"") {
                    if bytes[at] == backslash, at + 1 < bytes.count {
                        let next = bytes[at + 1]
                        if next == newline {
                            line += 1
                        } else if next == UInt8(ascii: "\"") || next == backslash || next == UInt8(ascii: "`")
                            || next == UInt8(ascii: "$")
                        {
                            value.append(next)
                        } else {
                            value += [backslash, next]
                        }
                        at += 2
                        continue
                    }
                    if bytes[at] == newline { line += 1 }
                    value.append(bytes[at])
                    at += 1
                }
                guard at < bytes.count else { throw Problem(description: "line \(opened): a \" quote is not closed") }
                at += 1
                kept = value.count
                started = false
            case backslash:
                started = true
                at += 1
                if at < bytes.count {
                    if bytes[at] == newline {
                        line += 1
                    } else {
                        value.append(bytes[at])
                        kept = value.count
                    }
                    at += 1
                }
            default:
                started = true
                value.append(byte)
                if !isBlank(byte) { kept = value.count }
                at += 1
            }
        }
        return Array(value.prefix(kept))
    }
}
