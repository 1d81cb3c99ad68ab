import Foundation
import HTTPTypes
import Testing

/// The soak test's fault injector (README, "Faults"): freezes and thaws the
/// manager for less than a stall timeout, sends garbage and oversized
/// keep-alive frames, opens HTTP connections and drops them, fills the disk
/// of `log_dir` and frees it again, and restarts a task whose worker leaves
/// a daemon of its own behind. It keeps count of what it did, so the soak
/// test can check that the manager's counters add up.
final class SoakFaults {
    /// The task whose worker writes output (to `log_dir`) and starts a
    /// `setsid` daemon; never beaten (its stall timeout is long).
    static let talkTask = "Talk"
    static let talkScript =
        "#!/bin/sh\ntrap 'exit 0' TERM\nsetsid sleep 100000 &\nwhile :; do echo talking \(String(repeating: "-", count: 1000)); sleep 0.2; done\n"

    let manager: Manager
    let hostile: Publisher
    let disk: String
    let tasks: [String]
    private var rng = SystemRandomNumberGenerator()

    private(set) var freezes = 0
    private(set) var frozen: Duration = .zero
    /// Hostile messages whose frame 0 names a task: each one is a drop of that task.
    private(set) var hostileMessages = 0
    private(set) var oversizedDisconnects = 0
    private(set) var droppedHTTP = 0
    private(set) var diskFills = 0
    private(set) var talkRestarts = 0
    private var filled = false
    private var filledSince = ContinuousClock.now
    /// How long the log disk was full in all.
    private(set) var filledFor: Duration = .zero

    init(manager: Manager, disk: String, tasks: [String]) throws {
        self.manager = manager
        self.disk = disk
        self.tasks = tasks
        hostile = try Publisher(manager.keepAliveEndpoint)
    }

    /// One fault, chosen at random.
    func inject() async throws {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: try await freeze()
        case 1: try hostileBurst()
        case 2: try oversizedFrame()
        case 3: await dropHTTPConnections()
        case 4: try toggleDisk()
        default: try await restartTalk()
        }
    }

    /// SIGSTOP for 0.3 to 2.5 s (the stall timeout is 6 s), then SIGCONT.
    func freeze() async throws {
        let length = Duration.milliseconds(Int.random(in: 300...2500, using: &rng))
        kill(manager.pid, SIGSTOP)
        try? await Task.sleep(for: length)
        kill(manager.pid, SIGCONT)
        freezes += 1
        frozen += length
    }

    /// Oversized (up to 1 MiB) and malformed frames naming a task.
    func hostileBurst() throws {
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let task = tasks.randomElement(using: &rng)!
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: try hostile.send([Array(task.utf8), [UInt8](repeating: 0x20, count: Int.random(in: 5000...(1 << 20), using: &rng))])
            case 1: try hostile.send([task, "{\"taskname\": 12"])
            default: try hostile.send([task])
            }
            hostileMessages += 1
        }
    }

    /// A frame over 1 MiB: its connection is dropped (a throwaway socket).
    func oversizedFrame() throws {
        let sender = try Publisher(manager.keepAliveEndpoint)
        try sender.send([[UInt8](repeating: 0x41, count: (1 << 20) + 1)])
        oversizedDisconnects += 1
    }

    /// HTTP connections opened and dropped, empty or in the middle of a request.
    func dropHTTPConnections() async {
        for n in 0..<Int.random(in: 1...10, using: &rng) {
            guard let connection = try? RawConnection(port: manager.port) else { continue }
            if n % 2 == 0 { connection.send("GET /tasks HTTP/1.1\r\nHost: x\r\n") }
            droppedHTTP += 1
        }
    }

    /// Fills the log disk, or frees it again.
    func toggleDisk() throws {
        let filler = disk + "/filler"
        if filled {
            try FileManager.default.removeItem(atPath: filler)
            filledFor += ContinuousClock.now - filledSince
        } else {
            _ = IntegrationSuite.ClockAndDiskTests.fill(filler)
            filledSince = .now
            diskFills += 1
        }
        filled.toggle()
    }

    func freeDisk() {
        if filled {
            try? FileManager.default.removeItem(atPath: disk + "/filler")
            filledFor += ContinuousClock.now - filledSince
        }
        filled = false
    }

    /// Stops and starts the talking task: its daemon must go with its worker.
    func restartTalk() async throws {
        #expect(try await manager.request(.post, "/tasks/\(Self.talkTask)/stop").status == 200)
        _ = await eventually { Self.talkProcesses(manager).isEmpty }
        #expect(try await manager.get("/tasks/\(Self.talkTask)/start").status == 200)
        talkRestarts += 1
    }

    /// Live processes of the talking task (its worker and its daemon).
    static func talkProcesses(_ manager: Manager) -> [pid_t] {
        manager.liveWorkers().filter { ProcessTable.environment($0).contains("WPM_TASK_NAME=\(talkTask)\0") }
    }

    var summary: String {
        "\(freezes) freezes (\(frozen) in all), \(hostileMessages) hostile messages, \(oversizedDisconnects) frames over 1 MiB, "
            + "\(droppedHTTP) dropped HTTP connections, \(diskFills) disk fills (\(filledFor) full), \(talkRestarts) restarts of \(Self.talkTask)"
    }
}
