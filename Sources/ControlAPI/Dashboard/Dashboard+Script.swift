extension Dashboard {
    /// `/ui/app.js`: the page's whole behaviour. No library: fetch() for the
    /// API (with the token, when there is one, in `Authorization`), and the
    /// event stream read through fetch() too, since EventSource cannot send
    /// that header.
    static let script = #"""
'use strict';
const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem('wpm-token') || '', tasks: new Map(), names: [],
  connected: false, stream: null, pending: new Map(), logs: null };
// Filled from /ui/config.json: which of restart, pause and resume this manager has.
let DASHBOARD_ACTIONS = [];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

class Unauthorized extends Error {}

async function api(path, method = 'GET', signal) {
  const headers = { Accept: 'application/json' };
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const response = await fetch(path, { method, headers, signal, cache: 'no-store' });
  if (response.status === 401) throw new Unauthorized('the manager refused the token');
  return response;
}

async function apiJSON(path, method = 'GET') {
  const response = await api(path, method);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || (method + ' ' + path + ': ' + response.status));
  return body;
}

function say(text, kind) {
  const bar = $('message');
  bar.textContent = text;
  bar.className = kind || '';
  bar.hidden = !text;
}

function ago(time) {
  if (!time) return '';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000));
  if (seconds < 120) return seconds + ' s';
  if (seconds < 7200) return Math.round(seconds / 60) + ' min';
  return Math.round(seconds / 3600) + ' h';
}

function bytes(n) {
  if (n === undefined || n === null) return '';
  if (n < 1024 * 1024) return (n / 1024).toFixed(0) + ' KiB';
  return (n / 1048576).toFixed(1) + ' MiB';
}

// Token
function showPrompt(message) {
  state.connected = false;
  if (state.stream) state.stream.abort();
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}

async function submitToken(event) {
  event.preventDefault();
  state.token = $('token').value.trim();
  try {
    await apiJSON('/list');
  } catch (error) {
    $('login-error').textContent = error instanceof Unauthorized ? 'Wrong token.' : String(error.message);
    return;
  }
  sessionStorage.setItem('wpm-token', state.token);
  $('token').value = '';
  start();
}

// Tasks
function taskPath(name) { return '/tasks/' + encodeURIComponent(name); }

async function refreshTask(name) {
  const entry = state.tasks.get(name) || { name, open: true, workers: [], cpu: new Map() };
  state.tasks.set(name, entry);
  entry.status = await apiJSON(taskPath(name));
  // A stopped task has no worker list (409).
  const list = entry.status.running ? await apiJSON(taskPath(name) + '/list') : { workers: [] };
  const now = performance.now();
  const cpu = new Map();
  for (const worker of list.workers) {
    const before = entry.cpu.get(worker.pid);
    if (before && worker.cpu_seconds !== undefined && now > before.at) {
      worker.cpu_percent = Math.max(0, (worker.cpu_seconds - before.seconds) * 100000 / (now - before.at));
    }
    if (worker.cpu_seconds !== undefined) cpu.set(worker.pid, { seconds: worker.cpu_seconds, at: now });
  }
  entry.cpu = cpu;
  entry.workers = list.workers;
  render(name);
}

function schedule(name, delay = 150) {
  if (state.pending.has(name)) return;
  state.pending.set(name, setTimeout(async () => {
    state.pending.delete(name);
    try { await refreshTask(name); } catch (error) { failed(error); }
  }, delay));
}

function failed(error) {
  if (error instanceof Unauthorized) showPrompt('The manager refused the token: enter it again.');
  else if (error.name !== 'AbortError') lost();
}

async function refreshAll() {
  const list = await apiJSON('/list');
  state.names = list.tasks;
  for (const name of [...state.tasks.keys()]) if (!state.names.includes(name)) state.tasks.delete(name);
  await Promise.all(state.names.map(refreshTask));
  renderAll();
}

async function control(name, action, value) {
  const entry = state.tasks.get(name);
  const status = entry ? entry.status : {};
  let path = taskPath(name) + '/' + action;
  if (action === 'stop' && !confirm('Stop every worker of ' + name + '?')) return;
  if (action === 'restart' && !confirm('Restart every worker of ' + name + '?')) return;
  if (action === 'pause' && !confirm('Pause ' + name + '?')) return;
  if (action === 'cardinality') {
    const wanted = Number(value);
    if (!Number.isInteger(wanted) || wanted < 0) { say('Give a whole number of workers.', 'error'); return; }
    if (wanted < status.cardinality && !confirm('Stop ' + (status.cardinality - wanted) + ' of the ' +
        status.cardinality + ' workers of ' + name + '?')) return;
    path = taskPath(name) + '/set/cardinality/' + wanted;
  }
  try {
    const reply = await apiJSON(path, 'POST');
    say(reply.message || (action + ' ' + name), 'ok');
  } catch (error) {
    if (error instanceof Unauthorized) return showPrompt('The manager refused the token: enter it again.');
    say(error.message, 'error');
  }
  schedule(name, 0);
}

function badge(text, kind) { return el('span', { class: 'badge ' + kind }, text); }

function card(entry) {
  const s = entry.status;
  const name = entry.name;
  const head = el('div', { class: 'head' },
    el('h2', {}, name),
    s.running ? badge('running', 'good') : badge('stopped', 'idle'),
    s.paused ? badge('paused', 'warn') : null,
    s.rollout ? badge('rollout: ' + (s.rollout.state || s.rollout), 'warn') : null,
    s.backoff_reason ? badge('backoff', 'bad') : null);
  const counts = el('p', { class: 'counts' },
    (s.ready_workers !== undefined ? s.ready_workers + ' ready / ' : '') +
    s.active_workers + ' active / ' + s.cardinality + ' wanted' +
    (s.stopping_workers ? ', ' + s.stopping_workers + ' stopping' : '') +
    ' · ' + s.dead_workers + ' exited, ' + s.stalled_workers + ' stalled');
  const details = [];
  if (s.last_exit) details.push('last exit: ' + s.last_exit);
  if (s.backoff_reason) details.push('backoff (' + s.quick_failures + ' quick failures): ' + s.backoff_reason +
      (s.next_spawn_at ? ', next spawn in ' + Math.max(0, Math.round((Date.parse(s.next_spawn_at) - Date.now()) / 1000)) + ' s' : ''));
  if (s.last_spawn_error) details.push('spawn error: ' + s.last_spawn_error);
  const size = el('input', { type: 'number', min: '0', value: String(s.cardinality), 'aria-label': 'workers of ' + name,
    class: 'size', 'data-task': name });
  const controls = el('div', { class: 'controls' },
    s.running ? el('button', { class: 'stop', onclick: () => control(name, 'stop') }, 'Stop')
              : el('button', { class: 'start', onclick: () => control(name, 'start') }, 'Start'),
    ...optionalButtons(name, s),
    el('form', { class: 'resize', onsubmit: (e) => { e.preventDefault(); control(name, 'cardinality', size.value); } },
      size, el('button', { type: 'submit' }, 'Resize')),
    el('button', { class: 'logs', onclick: () => openLogs(name) }, 'Logs'));
  // Columns only some managers or workers fill are shown when one does.
  const hasReady = entry.workers.some((w) => w.ready !== undefined);
  const hasMessage = entry.workers.some((w) => w.message);
  const headings = ['pid', 'age', hasReady ? 'ready' : null, 'keep-alive', 'status', 'job',
    hasMessage ? 'message' : null, 'CPU', 'memory'].filter((h) => h);
  const rows = entry.workers.map((w) => el('tr', { 'data-pid': String(w.pid), class: w.state },
    el('td', {}, String(w.pid)), el('td', {}, ago(w.started_at)),
    hasReady ? el('td', {}, w.ready ? 'yes' : 'no') : null,
    el('td', {}, ago(w.last_alive_at)), el('td', {}, w.state === 'running' ? (w.status || '') : w.state),
    el('td', { class: 'wrap' }, w.job || ''), hasMessage ? el('td', { class: 'wrap' }, w.message || '') : null,
    el('td', { class: 'num' }, w.cpu_percent !== undefined ? w.cpu_percent.toFixed(0) + ' %' : ''),
    el('td', { class: 'num' }, bytes(w.rss_bytes))));
  const table = entry.workers.length ? el('div', { class: 'scroll' }, el('table', { class: 'workers' },
    el('thead', {}, el('tr', {}, ...headings.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows))) : null;
  const workers = el('details', { open: entry.open, ontoggle: (e) => { entry.open = e.target.open; } },
    el('summary', {}, entry.workers.length + ' worker' + (entry.workers.length === 1 ? '' : 's')), table);
  return el('section', { class: 'task', id: 'task-' + name, 'data-task': name },
    head, counts, details.length ? el('p', { class: 'details' }, details.join(' · ')) : null, controls, workers);
}

// Restart, pause and resume only where the manager has those routes.
function optionalButtons(name, s) {
  const buttons = [];
  for (const action of DASHBOARD_ACTIONS) {
    if (action === 'pause' && (s.paused || !s.running)) continue;
    if (action === 'resume' && !s.paused) continue;
    if (action === 'restart' && !s.running) continue;
    buttons.push(el('button', { class: action, onclick: () => control(name, action) },
      action[0].toUpperCase() + action.slice(1)));
  }
  return buttons;
}

function render(name) {
  const entry = state.tasks.get(name);
  const old = document.getElementById('task-' + name);
  if (!entry || !entry.status) return;
  const focused = old && old.contains(document.activeElement) && document.activeElement.classList.contains('size');
  if (focused) return;  // do not take the number from under the operator's fingers
  const fresh = card(entry);
  if (old) old.replaceWith(fresh); else renderAll();
}

function renderAll() {
  const list = $('tasks');
  const cards = state.names.filter((n) => state.tasks.get(n) && state.tasks.get(n).status)
    .map((n) => card(state.tasks.get(n)));
  list.replaceChildren(...cards);
  if (!cards.length) list.append(el('p', { class: 'empty' }, 'This manager has no tasks.'));
}

// Logs
async function openLogs(name) {
  closeLogs();
  const controller = new AbortController();
  state.logs = controller;
  $('logs-title').textContent = 'Output of ' + name;
  $('logs-text').textContent = '';
  $('logs').hidden = false;
  try {
    const response = await api(taskPath(name) + '/logs?lines=200&follow=1', 'GET', controller.signal);
    await readEvents(response, (data) => {
      const line = data.lines_lost !== undefined ? '… ' + data.lines_lost + ' lines lost (too slow)'
        : new Date(data.time).toLocaleTimeString() + ' [' + data.pid + '] ' + data.line;
      const pre = $('logs-text');
      pre.append(line + '\n');
      if (pre.childNodes.length > 2000) pre.firstChild.remove();
      pre.scrollTop = pre.scrollHeight;
    });
  } catch (error) {
    if (error instanceof Unauthorized) showPrompt('The manager refused the token: enter it again.');
  }
}

function closeLogs() {
  if (state.logs) state.logs.abort();
  state.logs = null;
  $('logs').hidden = true;
}

// Event stream
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
      if (data) { try { onData(JSON.parse(data)); } catch (e) { /* not JSON: ignored */ } }
    }
  }
}

function setLive(live) {
  state.connected = live;
  $('live').textContent = live ? 'live' : 'connection lost, retrying…';
  $('live').className = live ? 'live' : 'lost';
  document.body.classList.toggle('offline', !live);
}

function lost() { if (state.connected) setLive(false); }

async function follow() {
  let wait = 500;
  for (;;) {
    const controller = new AbortController();
    state.stream = controller;
    try {
      const response = await api('/events', 'GET', controller.signal);
      if (!response.ok) throw new Error('events: ' + response.status);
      await refreshAll();
      setLive(true);
      wait = 500;
      await readEvents(response, (event) => {
        if (event.type === 'events_lost') refreshAll().catch(failed);
        else if (event.task) schedule(event.task);
      });
    } catch (error) {
      if (error instanceof Unauthorized) { showPrompt('The manager refused the token: enter it again.'); return; }
      if (controller.signal.aborted) return;
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 4000);
  }
}

// Ages, keep-alive status and CPU move without events: a quiet refresh.
setInterval(() => {
  if (!state.connected || document.hidden) return;
  for (const name of state.names) {
    const entry = state.tasks.get(name);
    if (entry && entry.status && (entry.status.running || entry.workers.length)) schedule(name, 0);
  }
}, 2000);

function start() {
  $('login').hidden = true;
  $('main').hidden = false;
  follow();
}

async function boot() {
  $('login').addEventListener('submit', submitToken);
  $('logs-close').addEventListener('click', closeLogs);
  const config = await fetch('/ui/config.json', { cache: 'no-store' }).then((r) => r.json()).catch(() => ({}));
  DASHBOARD_ACTIONS = config.actions || [];
  if (config.token && !state.token) showPrompt('');
  else start();
}
boot();
"""#
}
