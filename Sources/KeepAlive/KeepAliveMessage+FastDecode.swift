/// A fast path for the keep-alives almost every worker sends: a flat JSON
/// object whose values are plain strings (no escapes) and integers, with
/// ASCII keys. Anything else (escapes, nested values, true/false/null,
/// fractions, exponents, a recognised key twice or with another type,
/// invalid JSON) returns nil, and `decode` falls back to `JSONDecoder`, so
/// both paths accept and refuse the same messages. `JSONDecoder` costs
/// several microseconds a message: at 200 000 keep-alives a second it was
/// most of the manager's listener thread.
extension KeepAliveMessage.Fields {
    static func fast(_ bytes: [UInt8]) -> Self? {
        bytes.withUnsafeBufferPointer {
            var scanner = FastScanner(bytes: $0)
            return scanner.object()
        }
    }
}

private struct FastScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    enum Value {
        case string(String)
        case integer(Int64)
    }

    mutating func object() -> KeepAliveMessage.Fields? {
        var fields = KeepAliveMessage.Fields()
        var seen: Set<String> = []
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        if !take(UInt8(ascii: "}")) {
            while true {
                skipSpace()
                guard let key = string(), key.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let value = value() else { return nil }
                let name = key.lowercased()
                if ["taskname", "pid", "status", "job", "message"].contains(name) {
                    guard seen.insert(name).inserted else { return nil }
                    switch (name, value) {
                    case ("taskname", .string(let text)): fields.taskName = text
                    case ("pid", .integer(let number)):
                        guard let pid = Int32(exactly: number) else { return nil }
                        fields.pid = pid
                    case ("status", .string(let text)): fields.status = text
                    case ("job", .string(let text)): fields.job = text
                    case ("job", .integer(let number)): fields.job = String(number)
                    case ("message", .string(let text)): fields.message = text
                    default: return nil
                    }
                }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                guard take(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        skipSpace()
        return index == bytes.count ? fields : nil
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func value() -> Value? {
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "\"") { return string().map(Value.string) }
        return integer().map(Value.integer)
    }

    /// A string with no escape and no control character, valid UTF-8.
    mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// `-?(0|[1-9][0-9]*)`, at most 18 digits, not followed by a fraction or exponent.
    mutating func integer() -> Int64? {
        let negative = take(UInt8(ascii: "-"))
        let start = index
        var number: Int64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            number = number * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
            if index - start > 18 { return nil }
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            return nil
        }
        return negative ? -number : number
    }
}
