import Testing

import ZeroMQ

/// Context options of the ZeroMQ wrapper.
@Suite struct ZMQContextTests {
    @Test func maxSocketsLimitsTheSocketsOfTheContext() throws {
        let context = try ZMQContext()
        try context.set(ZMQContextOption.maxSockets, Int32(2))
        let first = try ZMQSocket(context, .pub)
        let second = try ZMQSocket(context, .pub)
        #expect(throws: ZMQError.self) { try ZMQSocket(context, .pub) }
        first.close()
        second.close()
    }

    @Test func aBadValueIsRefused() throws {
        let context = try ZMQContext()
        #expect(throws: ZMQError.self) { try context.set(ZMQContextOption.maxSockets, Int32(-1)) }
    }
}
