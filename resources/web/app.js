// SPDX-License-Identifier: MIT
// rtlab browser page: the three transports exactly as the browser implements them (EventSource,
// WebSocket, a fetch long-poll loop), side by side on one server log. No framework, no build step.
// Contract: docs/protocol.md. Message text only ever reaches the DOM through textContent.
'use strict';

(() => {
  const MAX_ROWS = 200; // messages kept per lane (list and memory)
  const LATENCY_WINDOW = 500; // latency samples per lane for the percentiles
  const EXTRA_STREAMS = 7;
  const POLL_ABORT_MS = 60000; // a held poll never outlives this, whatever the server's hold
  // Reconnect backoff for the lanes we reopen ourselves (docs: 0.5 s -> 15 s, x2, +-50 % jitter).
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 15000;

  const $ = (selector, root = document) => root.querySelector(selector);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  class Backoff {
    constructor() { this.attempt = 0; }
    next() {
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
      this.attempt = Math.min(this.attempt + 1, 16);
      return base * (0.5 + Math.random());
    }
    reset() { this.attempt = 0; }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Other parts of the page (the shared-stream fix) listen to the SSE lane through this.
  const sharedStream = new EventTarget();

  // One transport's view of the log: its place (epoch + last id), what it received, its figures.
  class Lane {
    constructor(key, title, how) {
      this.key = key;
      this.epoch = null;
      this.lastId = null;
      this.everOpen = false;
      this.state = 'connecting';
      this.counts = { chat: 0, ticks: 0, requests: 0, reconnects: 0, resets: 0, duplicates: 0, gaps: 0 };
      this.latencies = [];
      this.received = []; // chat, system and reset messages kept for the list (bounded)
      const node = $('#lane-template').content.firstElementChild.cloneNode(true);
      node.id = `lane-${key}`;
      node.dataset.lane = key;
      $('h2', node).textContent = title;
      $('.how', node).textContent = how;
      this.node = node;
      this.list = $('.messages', node);
      this.stateNode = $('.state', node);
      $('#lanes').append(node);
    }

    setPosition(epoch, id) {
      this.epoch = epoch;
      this.lastId = id;
    }

    // The resume point to name when (re)connecting, or null for "new messages only".
    position() {
      return this.lastId === null ? null : { after: this.lastId, epoch: this.epoch };
    }

    setState(state) {
      this.state = state;
      schedule();
    }

    opened() {
      if (this.everOpen) this.counts.reconnects++;
      this.everOpen = true;
      this.setState('open');
    }

    dropped() {
      this.setState(this.everOpen ? 'reconnecting' : 'connecting');
    }

    // The server refused this lane's token (or wants one): it waits for a sign-in, not the network.
    refused() {
      this.setState('not allowed');
    }

    receiveText(text) {
      let message;
      try {
        message = JSON.parse(text);
      } catch {
        this.addRow({ type: 'error', text: `not JSON: ${String(text).slice(0, 200)}` });
        return;
      }
      this.receive(message);
    }

    receive(m) {
      if (!m || typeof m !== 'object') return;
      if (m.type === 'reset') {
        // The server could not resume us where we were: a new epoch (it restarted) or a place
        // older than its history. It says how much was lost and where it goes on from.
        this.counts.resets++;
        this.setPosition(m.epoch, m.cursor);
        setServerField('epoch', m.epoch);
        this.keep(m);
        this.addRow(m);
        return;
      }
      if (m.type === 'error') {
        // The server refused a frame we sent (403 without "publish", 429 over the rate): say so
        // where the message was typed, too.
        this.addRow(m);
        if (lastSend && lastSend.via === this.key && !lastSend.accepted) {
          lastSend.error = `${m.status ?? ''} ${m.error ?? ''}`.trim();
          showSend(lastSend);
        }
        return;
      }
      if (typeof m.id !== 'number') return;
      if (this.lastId !== null) {
        if (m.epoch === this.epoch && m.id <= this.lastId) {
          this.counts.duplicates++; // replayed after a reconnect: drop by id
          schedule();
          return;
        }
        if (m.epoch !== this.epoch || m.id !== this.lastId + 1) this.skippedTo(m.epoch, m.id - 1);
      }
      this.setPosition(m.epoch, m.id);
      if (typeof m.ts === 'number') {
        this.latencies.push(Date.now() - m.ts / 1000);
        if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
      }
      if (m.type === 'tick') {
        this.counts.ticks++; // dashboard data: counted, not listed
        if (this.key === 'sse') showTick(m);
      } else {
        if (m.type === 'chat') this.counts.chat++;
        this.keep(m);
        this.addRow(m);
        noteOwnMessage(this, m);
      }
      if (this.key === 'sse') sharedStream.dispatchEvent(new CustomEvent(m.type, { detail: m }));
      schedule();
    }

    // Never expected: the server moved this lane on without a reset. Counted and shown, then followed.
    skippedTo(epoch, id) {
      this.counts.gaps++;
      this.addRow({ type: 'gap', text: epoch !== this.epoch
        ? `epoch changed to ${epoch} without a reset`
        : `gap: expected #${this.lastId + 1}, went on after #${id}` });
      this.setPosition(epoch, id);
    }

    keep(m) {
      this.received.push(m);
      if (this.received.length > MAX_ROWS) this.received.shift();
    }

    addRow(m) {
      const li = el('li', `row ${m.type}`);
      if (m.type === 'chat') {
        li.append(el('span', 'id', `#${m.id}`), el('b', 'from', m.from), el('span', 'text', m.text));
        if (typeof m.ts === 'number') li.append(el('span', 'lat', formatMs(Date.now() - m.ts / 1000)));
      } else if (m.type === 'reset') {
        const lost = m.lost < 0 ? 'unknown how many' : `${m.lost}`;
        li.append(el('span', 'id', 'reset'),
          el('span', 'text', `epoch ${m.epoch}, lost ${lost}; going on after #${m.cursor}`));
      } else if (m.type === 'system') {
        li.append(el('span', 'id', `#${m.id}`), el('span', 'text', m.text));
      } else {
        li.append(el('span', 'id', m.type), el('span', 'text', m.error || m.text || ''));
      }
      this.list.prepend(li);
      while (this.list.childElementCount > MAX_ROWS) this.list.lastElementChild.remove();
      schedule();
    }

    render() {
      const state = this.stateNode;
      if (state.dataset.state !== this.state) {
        state.dataset.state = this.state;
        state.textContent = this.state;
      }
      const sorted = [...this.latencies].sort((a, b) => a - b);
      const pct = (p) => (sorted.length
        ? formatMs(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]) : '–');
      const values = { ...this.counts, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99),
        position: this.lastId === null ? 'the live end' : `#${this.lastId} · epoch ${this.epoch}` };
      for (const dd of this.node.querySelectorAll('[data-f]')) {
        const text = String(values[dd.dataset.f]);
        if (dd.textContent !== text) dd.textContent = text;
      }
    }

    snapshot() {
      return {
        state: this.state, epoch: this.epoch, lastId: this.lastId, ...this.counts,
        latencySamples: this.latencies.length,
        messages: this.received.map((m) => ({ type: m.type, id: m.id, epoch: m.epoch, from: m.from, text: m.text,
          lost: m.lost, cursor: m.cursor })),
      };
    }
  }

  function formatMs(ms) {
    if (!Number.isFinite(ms)) return '–';
    return ms < 10 ? `${Math.max(0, ms).toFixed(1)} ms` : `${Math.round(ms)} ms`;
  }

  // Rendering is batched: a burst of messages costs one layout, not one per message.
  let renderQueued = false;
  function schedule() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(() => {
      renderQueued = false;
      for (const lane of Object.values(lanes)) lane.render();
      renderExtras();
    }, 100);
  }

  // ---- The three transports --------------------------------------------------------------------

  // SSE: the browser reconnects by itself after the server's `retry:` and sends the last event id
  // ("<epoch>:<id>") as Last-Event-ID. It gives up for good on an HTTP error (a 503 while the server
  // shuts down): then we reopen it ourselves, naming our place in the lastEventId query.
  function startSse(lane) {
    const backoff = new Backoff();
    const open = () => {
      const at = lane.position();
      const url = at ? `/events?lastEventId=${encodeURIComponent(`${at.epoch}:${at.after}`)}` : '/events';
      lane.counts.requests++;
      const source = new EventSource(url);
      lane.source = source;
      source.onopen = () => {
        backoff.reset();
        lane.opened();
      };
      source.onerror = () => {
        if (source.readyState === EventSource.CONNECTING) {
          lane.counts.requests++; // the browser's own retry
          lane.dropped();
          return;
        }
        source.close();
        lane.dropped();
        reopenUnlessRefused(lane, open, backoff);
      };
      // Events are named after the message type, so onmessage alone would see none of them.
      for (const type of ['chat', 'tick', 'system', 'reset', 'message']) {
        source.addEventListener(type, (event) => lane.receiveText(event.data));
      }
    };
    open();
  }

  function startWebSocket(lane) {
    const backoff = new Backoff();
    const open = () => {
      const at = lane.position();
      const query = at ? `?after=${at.after}&epoch=${encodeURIComponent(at.epoch)}` : '';
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      lane.counts.requests++;
      const socket = new WebSocket(`${scheme}//${location.host}/ws${query}`);
      lane.socket = socket;
      socket.onopen = () => {
        backoff.reset();
        lane.opened();
      };
      socket.onmessage = (event) => {
        if (typeof event.data === 'string') lane.receiveText(event.data);
      };
      socket.onclose = () => {
        lane.socket = null;
        lane.dropped();
        reopenUnlessRefused(lane, open, backoff);
      };
    };
    open();
  }

  // Long polling: each answer names the cursor of the next poll. The first poll, and the first after
  // an error, asks for an immediate answer (timeout=0) so the lane knows the server is there.
  async function startLongPoll(lane) {
    const backoff = new Backoff();
    let fresh = true;
    for (;;) {
      const params = new URLSearchParams();
      const at = lane.position();
      if (at) {
        params.set('after', String(at.after));
        params.set('epoch', at.epoch);
      }
      if (fresh) params.set('timeout', '0');
      lane.counts.requests++;
      schedule();
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), POLL_ABORT_MS);
      try {
        const response = await fetch(`/poll?${params}`, { cache: 'no-store', signal: abort.signal });
        if (response.status === 401 || response.status === 403) {
          clearTimeout(timer);
          showRefused(`${response.status} ${await responseText(response)}`);
          lane.refused();
          await signedIn();
          fresh = true;
          continue;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.json();
        if (fresh) {
          fresh = false;
          backoff.reset();
          lane.opened();
        }
        for (const m of body.messages) lane.receive(m);
        // The cursor is the last id of the answer: anything else would be a silent gap.
        if (lane.lastId === null) lane.setPosition(body.epoch, body.cursor);
        else if (lane.epoch !== body.epoch || lane.lastId !== body.cursor) lane.skippedTo(body.epoch, body.cursor);
      } catch {
        fresh = true;
        lane.dropped();
        await sleep(backoff.next());
      } finally {
        clearTimeout(timer);
      }
    }
  }

  // ---- Signing in (a server started with --auth-key) ---------------------------------------------
  // A browser cannot put a token in an EventSource's or a WebSocket's headers. So the page trades it
  // once for the cookie rtlab_token (POST /auth with Authorization: Bearer): HttpOnly, so no script
  // here can read it back, and SameSite=Strict, so another site's page cannot use it. From then on
  // every request of this origin carries it: the EventSource, the WebSocket handshake, each fetch.

  let waitingForSignIn = [];
  const signedIn = () => new Promise((resolve) => waitingForSignIn.push(resolve));

  // The server's words: an rtlab error body is {"error": …}; otherwise its text.
  async function responseText(response) {
    const text = await response.text().catch(() => '');
    try {
      return JSON.parse(text).error ?? text.trim();
    } catch {
      return text.trim();
    }
  }

  function showAuth(text, isError) {
    const status = $('#auth-status');
    status.textContent = text;
    status.classList.toggle('error', isError);
  }

  function showRefused(why) {
    showAuth(`Not allowed: ${why}. Sign in with a token (rtlab-server token --auth-key FILE --sub NAME).`, true);
  }

  // An EventSource or a WebSocket the server refused tells the script nothing (no status reaches it).
  // One plain request to the same check tells: 401 or 403 is the token, anything else the network.
  async function reopenUnlessRefused(lane, open, backoff) {
    try {
      const response = await fetch('/poll?timeout=0', { cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        showRefused(`${response.status} ${await responseText(response)}`);
        lane.refused();
        await signedIn();
        open();
        return;
      }
    } catch {
      // The server is not there: the backoff below is for that.
    }
    setTimeout(open, backoff.next());
  }

  async function signIn(event) {
    event.preventDefault();
    const token = $('#token').value.trim();
    if (!token) return;
    try {
      const response = await fetch('/auth', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      if (response.status !== 204) {
        showAuth(`Sign-in refused: ${response.status} ${await responseText(response)}`, true);
        return;
      }
    } catch (error) {
      showAuth(`Sign-in failed: ${error.message}`, true);
      return;
    }
    $('#token').value = ''; // the cookie holds it now; the page keeps no copy
    showAuth('Signed in: the server set the HttpOnly cookie rtlab_token, which every stream now carries '
      + '(your messages go out under the token\'s name).', false);
    const waiting = waitingForSignIn;
    waitingForSignIn = [];
    for (const resume of waiting) resume();
  }

  async function signOut() {
    try {
      const response = await fetch('/auth', { method: 'DELETE' });
      showAuth(response.status === 204 ? 'Signed out: the cookie is cleared (open streams stay until they end).'
        : `Sign-out: ${response.status} ${await responseText(response)}`, response.status !== 204);
    } catch (error) {
      showAuth(`Sign-out failed: ${error.message}`, true);
    }
  }

  // ---- Header: the server's figures from the ticks ---------------------------------------------

  function setServerField(name, text) {
    const dd = $(`#server [data-f="${name}"]`);
    if (dd.textContent !== text) dd.textContent = text;
  }

  function showTick(m) {
    const data = m.data || {};
    const c = data.connections || {};
    setServerField('connections', `lp ${c.lp ?? 0} · sse ${c.sse ?? 0} · ws ${c.ws ?? 0}`);
    setServerField('rate', String(data.messagesPerSec ?? '–'));
    setServerField('epoch', m.epoch);
  }

  // ---- Chat ---------------------------------------------------------------------------------------

  // Our own messages in flight, by clientTs (the server echoes it unchanged): how each went and what
  // came back, for the status line.
  const pending = new Map();
  let lastSend = null;

  function showSend(entry) {
    if (entry !== lastSend) return; // an older send finishing late
    const parts = [entry.how];
    if (entry.accepted !== undefined) parts.push(`accepted #${entry.accepted}`);
    if (entry.roundTrip !== undefined) {
      parts.push(`back on the ${entry.via.toUpperCase()} lane after ${formatMs(entry.roundTrip)}`);
    }
    const status = $('#send-status');
    status.textContent = entry.error ? `${entry.how}: ${entry.error}` : parts.join(' · ');
    status.classList.toggle('error', Boolean(entry.error));
  }

  // The round trip is measured on the lane of the transport the message was sent with.
  function noteOwnMessage(lane, m) {
    const entry = m.type === 'chat' && typeof m.clientTs === 'number' ? pending.get(m.clientTs) : undefined;
    if (!entry || entry.via !== lane.key) return;
    pending.delete(m.clientTs);
    entry.roundTrip = Date.now() - m.clientTs / 1000;
    showSend(entry);
  }

  async function send(event) {
    event.preventDefault();
    const nick = $('#nick').value.trim();
    const textInput = $('#text');
    const via = $('#via').value;
    if (!nick || !textInput.value) return;
    localStorage.setItem('rtlab.nick', nick);
    // clientTs in microseconds since the Unix epoch, like rtlab's other clients (docs/protocol.md).
    const message = { type: 'chat', from: nick, text: textInput.value, clientTs: Date.now() * 1000 };
    const entry = { via, how: via === 'ws' ? 'sent as a WebSocket text frame' : 'POST /send' };
    lastSend = entry;
    if (pending.size > 100) pending.clear();
    if (via === 'ws') {
      const socket = lanes.ws.socket;
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        entry.error = 'the WebSocket lane is not open';
        showSend(entry);
        return;
      }
      pending.set(message.clientTs, entry);
      socket.send(JSON.stringify(message));
      textInput.value = '';
      showSend(entry);
      return;
    }
    pending.set(message.clientTs, entry);
    textInput.value = '';
    showSend(entry);
    try {
      const response = await fetch('/send', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(message),
      });
      if (response.status === 202) {
        entry.accepted = (await response.json().catch(() => ({}))).id;
      } else {
        // 401 (no or an expired token), 403 (no "publish"), 429 (over the rate): in the server's words.
        const retry = response.headers.get('Retry-After');
        entry.error = `${response.status} ${await responseText(response)}${retry ? ` (retry after ${retry} s)` : ''}`;
        if (response.status === 401 || response.status === 403) showRefused(entry.error);
      }
    } catch (error) {
      entry.error = error.message;
    }
    showSend(entry);
  }

  // ---- The connection-limit lesson -------------------------------------------------------------

  let extras = []; // { source, state, chat }
  let shared = []; // { chat } listeners on the SSE lane's one stream
  let sharedListener = null;

  function openExtras() {
    stopSharing();
    closeExtras();
    for (let i = 0; i < EXTRA_STREAMS; i++) {
      const extra = { source: new EventSource('/events'), state: 'connecting', chat: 0 };
      extra.source.onopen = () => { extra.state = 'open'; schedule(); };
      extra.source.onerror = () => {
        extra.state = extra.source.readyState === EventSource.CLOSED ? 'closed' : 'connecting';
        schedule();
      };
      extra.source.addEventListener('chat', () => { extra.chat++; schedule(); });
      extras.push(extra);
    }
    schedule();
  }

  function closeExtras() {
    for (const extra of extras) extra.source.close();
    extras = [];
  }

  function stopSharing() {
    if (sharedListener) sharedStream.removeEventListener('chat', sharedListener);
    sharedListener = null;
    shared = [];
  }

  function share() {
    closeExtras();
    stopSharing();
    shared = Array.from({ length: EXTRA_STREAMS }, () => ({ chat: 0 }));
    sharedListener = () => {
      for (const listener of shared) listener.chat++;
      schedule();
    };
    sharedStream.addEventListener('chat', sharedListener);
    schedule();
  }

  function renderExtras() {
    const list = $('#extras');
    const summary = $('#limit-summary');
    const sseLane = lanes.sse.state === 'open' ? 1 : 0;
    list.replaceChildren();
    if (extras.length) {
      const open = extras.filter((x) => x.state === 'open').length;
      const waiting = extras.filter((x) => x.state === 'connecting').length;
      extras.forEach((x, i) => {
        const li = el('li', `extra ${x.state}`);
        li.dataset.state = x.state;
        li.append(el('b', '', `stream ${i + 1}`), el('span', 'state', x.state), el('span', '', `${x.chat} chat`));
        list.append(li);
      });
      // The long poll's request holds a connection while there is one; once the streams take all six,
      // its next poll queues behind them and the lane's ticks stop.
      const poll = sseLane + open < 6 ? 1 : 0;
      summary.textContent = `${EXTRA_STREAMS} more EventSources: ${open} open, ${waiting} waiting in "connecting". `
        + `Connections this page holds: SSE lane ${sseLane} + extra ${open} + long poll ${poll} = `
        + `${sseLane + open + poll} of 6.${poll ? '' : ' The long-polling lane\'s next poll waits in the queue too.'}`;
    } else if (shared.length) {
      shared.forEach((x, i) => {
        const li = el('li', 'extra shared');
        li.dataset.state = 'shared';
        li.append(el('b', '', `listener ${i + 1}`), el('span', 'state', 'shared'), el('span', '', `${x.chat} chat`));
        list.append(li);
      });
      summary.textContent = `${shared.length} listeners share the SSE lane's one stream: this page holds `
        + `SSE lane ${sseLane} + long poll 1 = ${sseLane + 1} of 6 connections.`;
    } else {
      summary.textContent = 'No extra streams.';
    }
  }

  // ---- Start ----------------------------------------------------------------------------------------

  const lanes = {
    lp: new Lane('lp', 'Long polling', 'fetch("/poll?after=N&epoch=E") in a loop, following "cursor"'),
    sse: new Lane('sse', 'Server-Sent Events', 'new EventSource("/events"), resumes with Last-Event-ID'),
    ws: new Lane('ws', 'WebSocket', 'new WebSocket("/ws?after=N&epoch=E"), publishes on the same socket'),
  };

  // A content-security-policy violation is a bug in this page: show it, never hide it.
  let violations = 0;
  document.addEventListener('securitypolicyviolation', (event) => {
    violations++;
    const alert = $('#alert');
    alert.hidden = false;
    alert.textContent = `${violations} Content-Security-Policy violation(s), last: ${event.violatedDirective} `
      + `blocked ${event.blockedURI || 'inline code'}`;
  });

  const nick = localStorage.getItem('rtlab.nick') || `guest-${Math.floor(Math.random() * 0xffff).toString(16)}`;
  $('#nick').value = nick;
  $('#chat').addEventListener('submit', send);
  $('#signin').addEventListener('submit', signIn);
  $('#signout').addEventListener('click', signOut);
  $('#open-extra').addEventListener('click', openExtras);
  $('#share').addEventListener('click', share);
  setServerField('origin', location.host);
  const navigation = performance.getEntriesByType('navigation')[0];
  setServerField('protocol', navigation && navigation.nextHopProtocol ? navigation.nextHopProtocol : 'http/1.1');

  // For the browser tests (and the curious, in the console): what each lane has seen.
  window.rtlab = Object.freeze({
    snapshot: () => JSON.parse(JSON.stringify({
      lanes: Object.fromEntries(Object.entries(lanes).map(([k, lane]) => [k, lane.snapshot()])),
      extras: extras.map((x) => ({ state: x.state, chat: x.chat })),
      shared: shared.map((x) => ({ chat: x.chat })),
      violations,
      auth: $('#auth-status').textContent,
      sendStatus: $('#send-status').textContent,
    })),
  });

  // All three lanes start from the same place, the live end of the log, so their lists line up
  // and each can tell a gap from the very first message.
  (async () => {
    try {
      const response = await fetch('/healthz', { cache: 'no-store' });
      const health = await response.json();
      for (const lane of Object.values(lanes)) lane.setPosition(health.epoch, health.lastId);
      setServerField('epoch', health.epoch);
    } catch {
      // Start from "new messages only": each lane learns its place from what it receives.
    }
    startLongPoll(lanes.lp);
    startSse(lanes.sse);
    startWebSocket(lanes.ws);
    schedule();
  })();
})();
