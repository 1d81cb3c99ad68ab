import FoundationEssentials

/// One keep-alive as it travels (SPEC §2): frame 0 is the task name, frame 1
/// a JSON object with the task name and the worker's pid, and optionally what
/// the worker is doing.
public struct KeepAliveMessage: Sendable, Equatable {
    /// What a worker may say about itself (extension).
    public enum Status: String, Sendable, CaseIterable {
        case ready, working, stopping
    }

    /// Longest `job` or `message` kept; longer ones are cut.
    public static let maxTextLength = 256
    /// Largest frame accepted; anything bigger is dropped as too large.
    public static let maxFrameSize = 4096

    public var taskName: String
    public var pid: Int32
    public var status: Status?
    public var job: String?
    public var message: String?

    public init(taskName: String, pid: Int32, status: Status? = nil, job: String? = nil, message: String? = nil) {
        self.taskName = taskName
        self.pid = pid
        self.status = status
        self.job = job
        self.message = message
    }

    /// The frames to send: `[taskName, {"taskname":…,"pid":…,…}]`.
    public func frames() -> [[UInt8]] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = Body(taskname: taskName, pid: pid, status: status?.rawValue, job: job, message: message)
        let json = (try? encoder.encode(body)) ?? Data()
        return [Array(taskName.utf8), Array(json)]
    }

    /// Frame 1 as sent; absent fields are left out.
    private struct Body: Encodable {
        var taskname: String
        var pid: Int32
        var status: String?
        var job: String?
        var message: String?
    }
}

/// Why a received message did not count as a keep-alive.
public enum KeepAliveDrop: String, Error, Sendable, CaseIterable, Codable {
    /// Fewer than two frames.
    case missingFrame = "missing_frame"
    /// Frame 1 is not a JSON object with a string task name and an integer pid.
    case malformedJSON = "malformed_json"
    /// Frame 0 and the JSON task name differ, or the pid is a worker of another task.
    case wrongTask = "wrong_task"
    /// The pid is no live worker of the task.
    case unknownPid = "unknown_pid"
    /// A frame larger than `KeepAliveMessage.maxFrameSize`.
    case tooLarge = "too_large"
    /// Frame 0 names no task.
    case unknownTask = "unknown_task"
    /// The manager could not keep up and shed the message.
    case overload
}

extension KeepAliveMessage {
    /// Decodes received frames. Never throws, never allocates without bound:
    /// the caller limits frame sizes; anything unexpected is a `KeepAliveDrop`.
    public static func decode(_ frames: [[UInt8]], oversized: Bool = false) -> Result<KeepAliveMessage, KeepAliveDrop> {
        if oversized || frames.contains(where: { $0.count > maxFrameSize }) { return .failure(.tooLarge) }
        guard frames.count >= 2 else { return .failure(.missingFrame) }
        guard let fields = Fields.fast(frames[1]) ?? decodeWithFoundation(frames[1]),
            let name = fields.taskName, let pid = fields.pid, pid > 0
        else { return .failure(.malformedJSON) }
        guard frames[0].elementsEqual(name.utf8) else { return .failure(.wrongTask) }
        return .success(
            KeepAliveMessage(
                taskName: name, pid: pid, status: fields.status.flatMap(Status.init(rawValue:)),
                job: fields.job.map(cut), message: fields.message.map(cut)))
    }

    /// The general path: any JSON `JSONDecoder` reads.
    static func decodeWithFoundation(_ json: [UInt8]) -> Fields? {
        try? JSONDecoder().decode(Fields.self, from: Data(json))
    }

    private static func cut(_ text: String) -> String {
        text.count > maxTextLength ? String(text.prefix(maxTextLength)) : text
    }

    /// The recognised keys of frame 1, matched case-insensitively; others are ignored.
    struct Fields: Decodable, Equatable {
        var taskName: String?
        var pid: Int32?
        var status: String?
        var job: String?
        var message: String?

        init() {}

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                switch key.stringValue.lowercased() {
                case "taskname": taskName = try? container.decode(String.self, forKey: key)
                case "pid": pid = try? container.decode(Int32.self, forKey: key)
                case "status": status = try? container.decode(String.self, forKey: key)
                case "job":
                    job = (try? container.decode(String.self, forKey: key))
                        ?? (try? container.decode(Int64.self, forKey: key)).map(String.init)
                case "message": message = try? container.decode(String.self, forKey: key)
                default: break
                }
            }
        }
    }
}

/// Where a worker finds what it needs to send keep-alives.
public enum KeepAliveEnvironment {
    /// The task the worker belongs to.
    public static let taskName = "WPM_TASK_NAME"
    /// The ZeroMQ endpoint to connect a PUB socket to, e.g. `tcp://127.0.0.1:5591`.
    public static let endpoint = "WPM_KEEPALIVE_ENDPOINT"
}
