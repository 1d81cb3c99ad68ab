import Foundation
import Testing

@testable import Supervisor

/// `ready_on` and `startup_timeout`: defaults, overrides, and every wrong value.
@Suite struct ConfigReadinessTests {
    @Test func defaultsGlobalAndPerTask() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh", "OtherTask.sh", "ThirdTask.sh"])
        let plain = try dir.parse(
            #"{"path": "\#(dir.path)", "filesuffix": "Task.sh", "autotasks": {"Work": {"stall_timeout": 5000}}}"#)
        let work = try #require(plain.tasks.first { $0.name == "Work" })
        #expect(work.readyOn == .keepAlive)
        #expect(work.startupTimeoutMS == nil)
        #expect(work.effectiveStartupTimeoutMS == 5000)  // its stall_timeout
        #expect(plain.tasks.first { $0.name == "Other" }?.effectiveStartupTimeoutMS == 60_000)

        let set = try dir.parse(
            """
            {"path": "\(dir.path)", "filesuffix": "Task.sh", "keepalives": {"startup_timeout": 30000},
             "autotasks": {"Work": {"ready_on": "status", "startup_timeout": 120000}, "Third": {"ready_on": "keepalive"}}}
            """)
        let work2 = try #require(set.tasks.first { $0.name == "Work" })
        #expect(work2.readyOn == .status)
        #expect(work2.effectiveStartupTimeoutMS == 120_000)
        #expect(set.tasks.first { $0.name == "Other" }?.effectiveStartupTimeoutMS == 30000)
        #expect(set.tasks.first { $0.name == "Third" }?.readyOn == .keepAlive)
        #expect(set.warnings.isEmpty)
    }

    @Test func rolloutPace() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh", "OtherTask.sh"])
        let config = try dir.parse(
            #"{"path": "\#(dir.path)", "filesuffix": "Task.sh", "autotasks": {"Work": {"max_surge": 0, "max_unavailable": 2}}}"#)
        #expect(config.tasks.first { $0.name == "Work" }?.rolloutPace == Rollout.Pace(maxSurge: 0, maxUnavailable: 2))
        #expect(config.tasks.first { $0.name == "Other" }?.rolloutPace == Rollout.Pace(maxSurge: 1, maxUnavailable: 0))
    }

    @Test(arguments: [
        (#""keepalives": {"startup_timeout": 0}"#, "keepalives.startup_timeout", "positive"),
        (#""keepalives": {"startup_timeout": "5s"}"#, "keepalives.startup_timeout", "got a string"),
        (#""autotasks": {"Good": {"startup_timeout": 0}}"#, "autotasks.Good.startup_timeout", "got 0"),
        (#""autotasks": {"Good": {"startup_timeout": -1}}"#, "autotasks.Good.startup_timeout", "got -1"),
        (#""autotasks": {"Good": {"startup_timeout": 1.5}}"#, "autotasks.Good.startup_timeout", "got a number"),
        (#""autotasks": {"Good": {"ready_on": "ready"}}"#, "autotasks.Good.ready_on", #"must be "keepalive" or "status", got a string ("ready")"#),
        (#""autotasks": {"Good": {"ready_on": true}}"#, "autotasks.Good.ready_on", "got a boolean"),
        (#""autotasks": {"Good": {"ready_on": ""}}"#, "autotasks.Good.ready_on", "must be"),
        (#""autotasks": {"Good": {"max_surge": -1}}"#, "autotasks.Good.max_surge", "from 0 to 10000 (max_cardinality), got -1"),
        (#""autotasks": {"Good": {"max_surge": "2"}}"#, "autotasks.Good.max_surge", "got a string"),
        (#""autotasks": {"Good": {"max_unavailable": 1.5}}"#, "autotasks.Good.max_unavailable", "got a number"),
        (#""autotasks": {"Good": {"max_unavailable": 10001}}"#, "autotasks.Good.max_unavailable", "got 10001"),
        (#""autotasks": {"Good": {"max_surge": 0}}"#, "autotasks.Good.max_surge", "max_surge and max_unavailable must not both be 0"),
        (#""autotasks": {"Good": {"max_surge": 0, "max_unavailable": 0}}"#, "autotasks.Good.max_surge", "must not both be 0"),
    ])
    func badValueIsRefusedNamingTheKey(fragment: String, key: String, problem: String) throws {
        let dir = try TaskDirectory(files: ["GoodTask.sh"])
        let error = try #require(dir.error(#"{"path": "\#(dir.path)", "filesuffix": "Task.sh", \#(fragment)}"#))
        #expect(error.key == key)
        #expect(error.problem.contains(problem), "\(error.problem)")
    }
}
