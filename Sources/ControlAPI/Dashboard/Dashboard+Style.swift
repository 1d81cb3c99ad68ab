extension Dashboard {
    /// `/ui/app.css`: one column on a phone, a grid of task cards on a wide screen.
    static let style = #"""
:root { --fg: #1d2330; --muted: #5d6677; --line: #d9dee7; --bg: #f4f6f9; --card: #fff;
  --good: #1f7a3f; --bad: #b3261e; --warn: #9a6700; --accent: #2457c5; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
body.offline main { opacity: .55; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1rem; background: #1d2330; color: #fff; }
header h1 { font-size: 1.15rem; margin: 0; flex: 1; }
#live { font-size: .85rem; padding: .15rem .6rem; border-radius: 1rem; }
#live.live { background: var(--good); }
#live.lost { background: var(--bad); }
main { padding: .8rem; }
#tasks { display: grid; gap: .8rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 30rem), 1fr)); }
.task { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .7rem .9rem; min-width: 0; }
.head { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem; }
.head h2 { font-size: 1.05rem; margin: 0 .4rem 0 0; overflow-wrap: anywhere; }
.badge { font-size: .75rem; padding: .05rem .5rem; border-radius: 1rem; color: #fff; }
.badge.good { background: var(--good); } .badge.bad { background: var(--bad); }
.badge.warn { background: var(--warn); } .badge.idle { background: var(--muted); }
.counts, .details { margin: .35rem 0; color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
.controls { display: flex; flex-wrap: wrap; gap: .4rem; margin: .5rem 0; }
.resize { display: flex; gap: .3rem; }
button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--line); border-radius: .35rem; background: #fff; cursor: pointer; min-height: 2.2rem; }
button.start { border-color: var(--good); color: var(--good); }
button.stop, button.restart, button.pause { border-color: var(--bad); color: var(--bad); }
input.size { width: 5rem; font: inherit; padding: .3rem; }
summary { cursor: pointer; color: var(--accent); margin: .3rem 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; padding: .2rem .45rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.wrap { white-space: normal; overflow-wrap: anywhere; min-width: 4rem; max-width: 18rem; }
td.num { text-align: right; }
tr.stopping { color: var(--muted); }
#message { margin: 0 0 .8rem; padding: .4rem .7rem; border-radius: .35rem; overflow-wrap: anywhere; }
#message.ok { background: #e3f3e8; } #message.error { background: #fbe4e2; }
#login { max-width: 24rem; margin: 3rem auto; padding: 1rem; background: var(--card); border: 1px solid var(--line); border-radius: .5rem; display: grid; gap: .5rem; }
#login h2 { font-size: 1.05rem; margin: 0; }
#login input { font: inherit; padding: .4rem; }
#login-error { color: var(--bad); margin: 0; min-height: 1.2em; }
#logs { position: fixed; left: 0; right: 0; bottom: 0; height: 45vh; background: #10141c; color: #e6e9ef; display: flex; flex-direction: column; }
.logs-head { display: flex; align-items: center; justify-content: space-between; padding: .3rem .8rem; }
.logs-head h2 { font-size: .95rem; margin: 0; }
#logs-text { flex: 1; overflow: auto; margin: 0; padding: .3rem .8rem; font-size: .8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
[hidden] { display: none !important; }
.empty { color: var(--muted); }
"""#
}
