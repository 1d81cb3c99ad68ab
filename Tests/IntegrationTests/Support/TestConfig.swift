import Foundation

/// A JSON value of a config a test writes: made of Swift values and
/// literals, never by pasting text together, so that a path or a token with
/// a quote in it stays one string and a typo is no half-valid document.
enum JSON: Codable, Equatable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([JSON])
    case object([String: JSON])
    case null

    init(integerLiteral value: Int) { self = .int(value) }
    init(floatLiteral value: Double) { self = .double(value) }
    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSON)...) { self = .object(Dictionary(uniqueKeysWithValues: elements)) }

    /// The value `text` (a JSON document) holds; a test that gives a broken
    /// one stops at once.
    init(parsing text: String) {
        do {
            self = try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
        } catch {
            preconditionFailure("not JSON: \(text): \(error)")
        }
    }

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if let bool = try? value.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? value.decode(Int.self) {
            self = .int(int)
        } else if let double = try? value.decode(Double.self) {
            self = .double(double)
        } else if let string = try? value.decode(String.self) {
            self = .string(string)
        } else if let array = try? value.decode([JSON].self) {
            self = .array(array)
        } else {
            self = .object(try value.decode([String: JSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var value = encoder.singleValueContainer()
        switch self {
        case .string(let string): try value.encode(string)
        case .int(let int): try value.encode(int)
        case .double(let double): try value.encode(double)
        case .bool(let bool): try value.encode(bool)
        case .array(let array): try value.encode(array)
        case .object(let object): try value.encode(object)
        case .null: try value.encodeNil()
        }
    }
}

/// The manager config the integration tests start from, typed: the HTTP
/// port and both keep-alive ports picked by the OS, the workspace's task
/// directory with `NAMETask.sh` files, the autotasks, and any other
/// top-level key in `extra`. `text` is the document (JSONEncoder's).
struct TestConfig: Encodable {
    struct KeepAlives: Encodable {
        var host: String?
        var inboundPort = 0
        var internalPort = 0
        var stallTimeout: Int?
        var gracePeriod: Int?

        enum CodingKeys: String, CodingKey {
            case host
            case inboundPort = "inbound_port"
            case internalPort = "internal_port"
            case stallTimeout = "stall_timeout"
            case gracePeriod = "grace_period"
        }
    }

    var port = 0
    var token: String?
    var keepalives = KeepAlives()
    var path: String
    var filesuffix = "Task.sh"
    var autotasks: JSON = [:]
    /// Every other top-level key (`max_cardinality`, `log_dir` ...).
    var extra: [String: JSON] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: Key.self)
        let fixed = ["port", "keepalives", "path", "filesuffix", "autotasks"] + (token == nil ? [] : ["token"])
        // The manager refuses a key given twice: a test must not write one.
        precondition(Set(extra.keys).isDisjoint(with: fixed), "extra repeats a key TestConfig writes: \(extra.keys.sorted())")
        try object.encode(port, forKey: Key("port"))
        try object.encodeIfPresent(token, forKey: Key("token"))
        try object.encode(keepalives, forKey: Key("keepalives"))
        try object.encode(path, forKey: Key("path"))
        try object.encode(filesuffix, forKey: Key("filesuffix"))
        try object.encode(autotasks, forKey: Key("autotasks"))
        for (key, value) in extra { try object.encode(value, forKey: Key(key)) }
    }

    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

extension Workspace {
    /// A config for this workspace's task directory, written to a file
    /// (`config(_:)`): its path.
    func config(_ config: TestConfig) -> String {
        self.config(config.text)
    }

    /// `TestConfig` for this workspace: its task directory, the given
    /// autotasks (a JSON object, written as one) and keep-alive settings.
    func testConfig(
        autotasks: String = "{}", stall: Int? = nil, grace: Int? = nil, host: String? = nil, token: String? = nil,
        extra: [String: JSON] = [:]
    ) -> TestConfig {
        TestConfig(
            token: token, keepalives: .init(host: host, stallTimeout: stall, gracePeriod: grace), path: tasks,
            autotasks: JSON(parsing: autotasks), extra: extra)
    }
}
