import Foundation
import KeepAlive
import Testing

@Suite struct KeepAliveMessageTests {
    func decode(_ frames: [String]) -> Result<KeepAliveMessage, KeepAliveDrop> {
        KeepAliveMessage.decode(frames.map { Array($0.utf8) })
    }

    @Test(arguments: [
        #"{"taskname":"Example","pid":4242}"#, #"{"Taskname":"Example","Pid":4242}"#,
        #"{"TASKNAME":"Example","PID":4242,"other":{"a":[1]}}"#,
    ])
    func everySpellingOfTheKeys(json: String) {
        #expect(decode(["Example", json]) == .success(KeepAliveMessage(taskName: "Example", pid: 4242)))
    }

    @Test func extensionFields() {
        let long = String(repeating: "m", count: 1000)
        let result = decode(["T", #"{"taskname":"T","pid":7,"status":"working","job":12,"message":"\#(long)"}"#])
        let message = try? result.get()
        #expect(message?.status == .working)
        #expect(message?.job == "12")
        #expect(message?.message?.count == KeepAliveMessage.maxTextLength)
        #expect((try? decode(["T", #"{"taskname":"T","pid":7,"status":"odd"}"#]).get())?.status == nil)
    }

    @Test(arguments: [
        (["T"], KeepAliveDrop.missingFrame),
        ([], .missingFrame),
        (["T", "nope"], .malformedJSON),
        (["T", "[]"], .malformedJSON),
        (["T", #"{"pid":1}"#], .malformedJSON),
        (["T", #"{"taskname":"T"}"#], .malformedJSON),
        (["T", #"{"taskname":"T","pid":"1"}"#], .malformedJSON),
        (["T", #"{"taskname":"T","pid":1.5}"#], .malformedJSON),
        (["T", #"{"taskname":"T","pid":0}"#], .malformedJSON),
        (["T", #"{"taskname":"T","pid":4294967297}"#], .malformedJSON),
        (["T", #"{"taskname":7,"pid":1}"#], .malformedJSON),
        (["T1", #"{"taskname":"T10","pid":1}"#], .wrongTask),
        (["T10", #"{"taskname":"T1","pid":1}"#], .wrongTask),
    ])
    func dropped(frames: [String], reason: KeepAliveDrop) {
        #expect(decode(frames) == .failure(reason))
    }

    @Test func oversizedFramesAreDroppedUnread() {
        let big = [UInt8](repeating: 0x20, count: KeepAliveMessage.maxFrameSize + 1)
        #expect(KeepAliveMessage.decode([Array("T".utf8), big]) == .failure(.tooLarge))
        #expect(KeepAliveMessage.decode([Array("T".utf8), []], oversized: true) == .failure(.tooLarge))
    }

    @Test func framesRoundTrip() {
        let message = KeepAliveMessage(taskName: "Ex", pid: 9, status: .stopping, job: "j", message: "m")
        #expect(KeepAliveMessage.decode(message.frames()) == .success(message))
        #expect(String(decoding: message.frames()[0], as: UTF8.self) == "Ex")
    }
}
