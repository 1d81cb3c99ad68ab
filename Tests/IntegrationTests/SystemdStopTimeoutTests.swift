import Foundation
import Testing

extension IntegrationSuite {
    /// A long drain under systemd: after STOPPING=1 the manager keeps
    /// extending the stop timeout (EXTEND_TIMEOUT_USEC) while workers are
    /// being stopped, each time by what is left of force_timeout plus 5 s.
    @Suite struct SystemdStopTimeoutTests {
        static func extensions(_ messages: [String]) -> [Int] {
            messages.compactMap { message in
                message.hasPrefix("EXTEND_TIMEOUT_USEC=") ? Int(message.dropFirst("EXTEND_TIMEOUT_USEC=".count)) : nil
            }
        }

        @Test func aLongDrainExtendsTheStopTimeoutUntilTheWorkersAreGone() async throws {
            let ws = try Workspace()
            let listener = try NotifyListener(name: ws.path + "/notify")
            // Workers that ignore SIGTERM: each takes its whole grace period (3 s).
            let config = ws.standardConfig(
                tasks: ["Slow": Scripts.stubborn], autotasks: #"{"Slow": {"cardinality": 2}}"#, grace: 3000,
                extra: ["force_timeout": 8000])
            let m = try Manager(ws, config: config, environment: ["NOTIFY_SOCKET": listener.name])
            var messages: [String] = []
            do {
                try await m.waitUntilListening()
                _ = try await m.waitForWorkers("Slow", count: 2)
                messages += listener.receiveAll()
                #expect(Self.extensions(messages).isEmpty, "no extension before a stop: \(messages)")
                let stopAsked = ContinuousClock.now
                kill(m.pid, SIGTERM)
                // At least two extensions while the workers drain (one a second).
                #expect(
                    await eventually {
                        messages += listener.receiveAll()
                        return Self.extensions(messages).count >= 2
                    }, "\(messages)")
                let status = try await m.waitForExit()
                #expect(status == 0, "exit status \(status):\n\(m.stderr.text)")
                let drain = stopAsked.duration(to: .now)
                messages += listener.receiveAll()
                #expect(drain >= .seconds(3), "the workers took their grace period")
                try await m.finish()
            } catch {
                try? await m.finish()
                throw error
            }
            let stopping = try #require(messages.firstIndex(of: "STOPPING=1"), "\(messages)")
            let firstExtension = try #require(messages.firstIndex { $0.hasPrefix("EXTEND_TIMEOUT_USEC=") })
            #expect(firstExtension > stopping)
            let values = Self.extensions(messages)
            // Each: what is left of force_timeout (8 s at most) plus 5 s.
            #expect(values.allSatisfy { $0 > 5_000_000 - 1 && $0 <= 13_000_000 }, "\(values)")
            #expect(values.first! > 10_000_000, "the first comes right at the start of the stop: \(values)")
            #expect(values.last! < values.first!, "the time left shrinks: \(values)")
            // No more once every worker is gone: about one a second over a
            // drain of 3 s, and far fewer than one a second over force_timeout.
            #expect(values.count <= 8, "\(values)")
        }
    }
}
