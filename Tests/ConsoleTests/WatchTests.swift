import Testing

@testable import wpconsole

/// `watch`: its path, the Server-Sent Events parser and the event lines.
@Suite struct WatchTests {
    @Test func eventsPath() {
        #expect(Command.eventsPath(task: nil) == "/events")
        #expect(Command.eventsPath(task: "Work") == "/events?task=Work")
        #expect(Command.eventsPath(task: "a b&c") == "/events?task=a%20b%26c")
    }

    @Test func completionOffersWatch() {
        #expect(Completer().candidates(before: "", word: "wa") == ["watch"])
        #expect(Help.lines(nil).contains("  watch [TASK]"))
    }

    @Test func serverSentEventsInChunksOfAnySize() {
        let stream = ": wpm events\n\nid: 1\ndata: {\"a\":1}\n\nid: 2\r\ndata: one\r\ndata:two\r\n\r\nretry: 5\n\n"
        for size in [1, 2, 7, stream.utf8.count] {
            var parser = ServerSentEvents()
            var events: [String] = []
            var bytes = Array(stream.utf8)[...]
            while !bytes.isEmpty {
                events += parser.feed(bytes.prefix(size))
                bytes = bytes.dropFirst(size)
            }
            #expect(events == [#"{"a":1}"#, "one\ntwo"], "chunks of \(size)")
            #expect(parser.started)
        }
    }

    @Test func eventLines() {
        func line(_ json: String) -> String { EventLine.format(json) }
        let time = #""time":"2026-11-27T20:45:07.123Z""#
        #expect(line(#"{\#(time),"type":"task_started","task":"W","cardinality":2}"#) == "20:45:07.123Z W: task started (cardinality 2)")
        #expect(line(#"{\#(time),"type":"task_stopped","task":"W"}"#) == "20:45:07.123Z W: task stopped")
        #expect(line(#"{\#(time),"type":"cardinality_changed","task":"W","previous":1,"cardinality":3}"#) == "20:45:07.123Z W: cardinality 1 -> 3")
        #expect(line(#"{\#(time),"type":"worker_spawned","task":"W","pid":42}"#) == "20:45:07.123Z W: worker 42 spawned")
        #expect(line(#"{\#(time),"type":"worker_ready","task":"W","pid":42}"#) == "20:45:07.123Z W: worker 42 ready")
        #expect(
            line(#"{\#(time),"type":"worker_startup_timeout","task":"W","pid":42,"after_ms":5001}"#)
                == "20:45:07.123Z W: worker 42 not ready within startup_timeout (5001 ms after its spawn)")
        #expect(
            line(#"{\#(time),"type":"rollout_started","task":"W","max_surge":1,"max_unavailable":0,"cardinality":3}"#)
                == "20:45:07.123Z W: rolling restart started (max_surge 1, max_unavailable 0)")
        #expect(line(#"{\#(time),"type":"rollout_progress","task":"W","replaced":2,"total":3}"#) == "20:45:07.123Z W: rolling restart: 2/3 replaced")
        #expect(
            line(#"{\#(time),"type":"rollout_finished","task":"W","replaced":3,"duration_ms":1500}"#)
                == "20:45:07.123Z W: rolling restart finished: 3 replaced in 1500 ms")
        #expect(
            line(#"{\#(time),"type":"rollout_failed","task":"W","reason":"task stopped","replaced":0,"total":3}"#)
                == "20:45:07.123Z W: rolling restart failed: task stopped")
        #expect(line(#"{\#(time),"type":"worker_stalled","task":"W","pid":42,"silence_ms":1001}"#) == "20:45:07.123Z W: worker 42 stalled (no keep-alive for 1001 ms)")
        #expect(
            line(#"{\#(time),"type":"worker_exited","task":"W","pid":42,"status":"exit status 3","reason":"crashed"}"#)
                == "20:45:07.123Z W: worker 42 exited: exit status 3 (crashed)")
        #expect(line(#"{\#(time),"type":"worker_killed","task":"W","pid":42}"#) == "20:45:07.123Z W: worker 42 killed (SIGKILL)")
        #expect(line(#"{\#(time),"type":"spawn_failed","task":"W","error":"cannot start x"}"#) == "20:45:07.123Z W: spawn failed: cannot start x")
        #expect(
            line(#"{\#(time),"type":"backoff","task":"W","delay_ms":990,"reason":"quick_exit"}"#)
                == "20:45:07.123Z W: spawns held back for 990 ms (quick exit)")
        #expect(line(#"{\#(time),"type":"events_lost","count":3}"#) == "20:45:07.123Z 3 event(s) lost: the console did not keep up")
        #expect(line(#"{\#(time),"type":"new_kind","task":"W"}"#).hasPrefix("20:45:07.123Z W: new_kind {"))
        #expect(line("not json") == "event: not json")
    }
}
