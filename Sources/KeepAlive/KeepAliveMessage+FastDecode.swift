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

    /// The recognised keys, lower case; a key matches ignoring ASCII case.
    static let keys: [[UInt8]] = ["taskname", "pid", "status", "job", "message"].map { Array($0.utf8) }

    mutating func object() -> KeepAliveMessage.Fields? {
        var fields = KeepAliveMessage.Fields()
        var seen: UInt8 = 0  // one bit per recognised key
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        if !take(UInt8(ascii: "}")) {
            while true {
                skipSpace()
                guard let key = asciiKey() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let value = value() else { return nil }
                if let known = key {
                    let bit: UInt8 = 1 << known
                    guard seen & bit == 0 else { return nil }
                    seen |= bit
                    switch (known, value) {
                    case (0, .string(let text)): fields.taskName = text
                    case (1, .integer(let number)):
                        guard let pid = Int32(exactly: number) else { return nil }
                        fields.pid = pid
                    case (2, .string(let text)): fields.status = text
                    case (3, .string(let text)): fields.job = text
                    case (3, .integer(let number)): fields.job = String(number)
                    case (4, .string(let text)): fields.message = text
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

    /// A key of ASCII characters with no escape: `.some(index into keys)`
    /// when it is a recognised one, `.some(nil)` for any other; nil when it
    /// is not such a key. Builds no string.
    mutating func asciiKey() -> Int?? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { return nil }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let key = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        let known = Self.keys.firstIndex { name in
            name.count == key.count
                && zip(name, key).allSatisfy { $0 == $1 || ($1 >= UInt8(ascii: "A") && $1 <= UInt8(ascii: "Z") && $0 == $1 | 0x20) }
        }
        return .some(known)
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
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
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        return negative ? -number : number
    }
}
