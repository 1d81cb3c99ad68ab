/// The pools by task name, each read and changed where it lies.
///
/// A `[String: PoolStateMachine]` moved the whole machine out of the
/// dictionary and back for every `pools[name]!.event(...)` (the dictionary's
/// modify accessor works on an optional copy), and copied it, retaining all
/// it holds, for every `pools[name]?.field`: once per keep-alive, deadline
/// and signal. Here each machine lives in a slot of its own, and the
/// subscript yields the slot's storage, to read or to change. Only the
/// supervisor's actor holds the table (it is not `Sendable`).
struct PoolTable: Sequence {
    private final class Slot {
        /// Never nil (optional so that the subscript can yield it in place).
        var machine: PoolStateMachine?
        init(_ machine: PoolStateMachine) { self.machine = machine }
    }

    private var slots: [String: Slot] = [:]

    init(_ pools: some Sequence<(String, PoolStateMachine)>) {
        for (name, pool) in pools { slots[name] = Slot(pool) }
    }

    /// The pool of task `name`; setting one for a new name adds it.
    subscript(name: String) -> PoolStateMachine? {
        _read {
            if let slot = slots[name] { yield slot.machine } else { yield nil }
        }
        _modify {
            if let slot = slots[name] {
                // (Setting nil here would leave an empty slot: `remove` removes.)
                yield &slot.machine
            } else {
                var added: PoolStateMachine?
                yield &added
                if let added { slots[name] = Slot(added) }
            }
        }
    }

    mutating func remove(_ name: String) {
        slots[name] = nil
    }

    var values: [PoolStateMachine] { slots.values.map { $0.machine! } }

    func mapValues<T>(_ transform: (PoolStateMachine) throws -> T) rethrows -> [String: T] {
        try slots.mapValues { try transform($0.machine!) }
    }

    func makeIterator() -> some IteratorProtocol<(key: String, value: PoolStateMachine)> {
        slots.lazy.map { (key: $0.key, value: $0.value.machine!) }.makeIterator()
    }
}

extension Supervisor {
    /// A copy of the pool of task `name` (for tests and inspection).
    func pool(named name: String) -> PoolStateMachine? { pools[name] }
}
