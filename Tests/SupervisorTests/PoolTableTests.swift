import Foundation
import Testing

@testable import Supervisor

/// The supervisor's pools by name (`PoolTable`): changed in place, added,
/// removed, listed.
@Suite struct PoolTableTests {
    func machine(_ name: String, cardinality: Int = 1) -> PoolStateMachine {
        PoolStateMachine(spec: TaskSpec(name: name, command: "/bin/true", cardinality: cardinality))
    }

    @Test func aPoolIsChangedWhereItLies() {
        var table = PoolTable([("a", machine("a")), ("b", machine("b"))])
        _ = table["a"]!.setCardinality(7, now: Moment.now())
        #expect(table["a"]?.cardinality == 7)
        #expect(table["b"]?.cardinality == 1)
        #expect(table["c"] == nil)
    }

    @Test func poolsAreAddedRemovedAndListed() {
        var table = PoolTable([("a", machine("a"))])
        table["b"] = machine("b", cardinality: 3)
        #expect(Set(table.map(\.key)) == ["a", "b"])
        #expect(table.mapValues(\.cardinality) == ["a": 1, "b": 3])
        table.remove("a")
        #expect(table["a"] == nil)
        #expect(table.values.map(\.cardinality) == [3])
        // A name removed can come back.
        table["a"] = machine("a", cardinality: 2)
        #expect(table["a"]?.cardinality == 2)
    }
}
