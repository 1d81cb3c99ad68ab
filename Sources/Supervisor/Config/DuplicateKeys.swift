/// Finds a key written twice in one object of a JSON document. The JSON
/// decoder keeps one of the two without a word (the first; Go's kept the
/// last), so a config with one is refused instead of read differently.
///
/// A scan over bytes already known to be valid JSON (run after the
/// decoder accepted them): it follows strings, objects and arrays only.
enum DuplicateKeys {
    /// The dotted path of the first key found twice in its object, such as
    /// `autotasks.Mail.cardinality`; nil when there is none.
    static func first(in json: [UInt8]) -> String? {
        /// An object or array being read: its path, and for an object its
        /// keys so far and whether the next string is a key.
        struct Container {
            var path: String
            var isArray: Bool
            var keys: Set<[UInt8]> = []
            var expectingKey = true
            var lastKey = ""
            /// The path of a value inside it (an array's elements share its own).
            var pathOfValue: String { isArray ? path : path.isEmpty ? lastKey : path + "." + lastKey }
        }
        var stack: [Container] = []
        var i = json.startIndex
        while i < json.endIndex {
            switch json[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                stack.append(Container(path: stack.last?.pathOfValue ?? "", isArray: json[i] == UInt8(ascii: "[")))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if let last = stack.indices.last { stack[last].expectingKey = !stack[last].isArray }
            case UInt8(ascii: "\""):
                var end = i + 1
                while end < json.endIndex, json[end] != UInt8(ascii: "\"") {
                    end += json[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                if let last = stack.indices.last, !stack[last].isArray, stack[last].expectingKey {
                    let key = Array(json[(i + 1)..<min(end, json.endIndex)])
                    stack[last].lastKey = String(decoding: key, as: UTF8.self)
                    stack[last].expectingKey = false
                    if !stack[last].keys.insert(key).inserted { return stack[last].pathOfValue }
                }
                i = end
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
