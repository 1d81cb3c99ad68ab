import Testing

@testable import KeepAlive

/// The fast path of `KeepAliveMessage.decode` takes the common messages and
/// agrees with `JSONDecoder` on each of them; on anything else it steps aside.
@Suite struct KeepAliveFastDecodeTests {
    typealias Fields = KeepAliveMessage.Fields

    static let common = [
        #"{"taskname":"Example","pid":4242}"#,
        #"{"Taskname":"GoExample","Pid":4242}"#,
        #" { "TASKNAME" : "T" , "PID" : 7 , "other" : "x", "n": -3 } "#,
        #"{"pid":7,"taskname":"T","status":"working","job":12,"message":"ü ✓"}"#,
        #"{"taskname":"T","pid":7,"job":"a-b","status":"odd"}"#,
        #"{"taskname":"T","pid":-0}"#,
        #"{"taskname":"T","pid":0}"#,
        #"{"pid":1}"#,
        "{}",
        "{\"taskname\":\"T\",\n\t\"pid\":1}\r\n",
    ]

    static let others = [
        #"{"taskname":"T\"q","pid":1}"#,  // escape
        #"{"taskname":"T","pid":1.5}"#,  // fraction
        #"{"taskname":"T","pid":1e2}"#,  // exponent
        #"{"taskname":"T","pid":4294967297}"#,  // beyond Int32
        #"{"taskname":"T","pid":01}"#,  // leading zero: invalid JSON
        #"{"taskname":"T","pid":1,"x":{"a":[1]}}"#,  // nested value
        #"{"taskname":"T","pid":1,"x":true}"#,
        #"{"taskname":"T","pid":1,"x":null}"#,
        #"{"taskname":"T","pid":1,"pid":2}"#,  // a key twice
        #"{"taskname":"T","pid":1,"PID":2}"#,
        #"{"ta\#u{212A}name":"T","pid":1}"#,  // non-ASCII key (Kelvin sign lowercases to k)
        #"{"taskname":"T","pid":1,}"#,  // trailing comma
        #"{"taskname":"T","pid":1} x"#,  // trailing garbage
        #"{"taskname":"T","pid":1"#,  // cut short
        #"{"job":true,"taskname":"T","pid":1}"#,
        #"{"taskname":"T","pid":"1"}"#,  // a known key with another type
        #"{"taskname":7,"pid":1}"#,
        "[]", "nope", "",
    ]

    @Test(arguments: common)
    func takesTheCommonMessagesLikeJSONDecoder(json: String) throws {
        let fast = try #require(Fields.fast(Array(json.utf8)))
        #expect(fast == KeepAliveMessage.decodeWithFoundation(Array(json.utf8)))
    }

    @Test(arguments: others)
    func leavesTheRestToJSONDecoder(json: String) {
        #expect(Fields.fast(Array(json.utf8)) == nil)
    }

    @Test func invalidUTF8IsLeftToJSONDecoder() {
        let bytes = Array(#"{"taskname":"T"#.utf8) + [0xFF] + Array(#"","pid":1}"#.utf8)
        #expect(Fields.fast(bytes) == nil)
        #expect(KeepAliveMessage.decode([[0x54], bytes]) == .failure(.malformedJSON))
    }

    @Test func theMessagesWorkersSendTakeTheFastPath() {
        let message = KeepAliveMessage(taskName: "Ex", pid: 9, status: .working, job: "42", message: "busy")
        var fields = Fields()
        fields.taskName = "Ex"
        fields.pid = 9
        fields.status = "working"
        fields.job = "42"
        fields.message = "busy"
        #expect(Fields.fast(message.frames()[1]) == fields)
    }
}
