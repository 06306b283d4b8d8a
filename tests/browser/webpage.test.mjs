// SPDX-License-Identifier: MIT
// The browser page (resources/web) in a real browser: Debian's headless Chromium driven by
// playwright-core, against the real rtlab-server started here on 127.0.0.1.
//
//   node webpage.test.mjs --server build/bin/rtlab-server --cli build/bin/rtlab-cli
//                         [--chromium /usr/bin/chromium] [--screenshot out.png]
//
// The Qt client on the other side is rtlab-cli (common/'s client transports): it publishes into the lanes
// over each transport, and follows over each transport what the page publishes.
//
// The page is loaded through a small TCP relay in this process, so the test can drop every connection
// the browser has while the server (and its log) stays up: that is how "the lanes reconnect and resume
// with no gap" is checked without a test-only server API. A server restart on the same port then checks
// the other half of the resume rule: a new epoch, shown as a reset.
//
// No timed assertions: every wait is on a condition, and its bound only turns a hang into a failure.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, test } from 'node:test';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    server: { type: 'string', default: process.env.RTLAB_SERVER },
    cli: { type: 'string', default: process.env.RTLAB_CLI },
    chromium: { type: 'string', default: process.env.RTLAB_CHROMIUM || '/usr/bin/chromium' },
    screenshot: { type: 'string' },
  },
});

const WAIT_MS = 20000; // a bound for failure, not a timing expectation
const WHOLE_RUN_MS = 150000;
const LANES = ['lp', 'sse', 'ws'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
// While connections are dropped on purpose, Chromium logs each failed request; nothing else may fail.
const NETWORK_FAILURE = /net::ERR_|WebSocket connection to .* failed|status of 503/;
const POLICY_VIOLATION = /Content.Security.Policy|Refused to/i;

function fail(message) {
  console.error(`browser test: ${message}`);
  process.exit(1);
}
if (!options.server || !fs.existsSync(options.server)) fail(`no rtlab-server at "${options.server}" (--server PATH)`);
if (!options.cli || !fs.existsSync(options.cli)) fail(`no rtlab-cli at "${options.cli}" (--cli PATH)`);
if (!fs.existsSync(options.chromium)) {
  fail(`no Chromium at ${options.chromium}: apt-get install chromium (./dev.sh test does)`);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (error) {
  fail(`${error.message}\nrun "npm ci" in tests/browser (./dev.sh test does)`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// `promise`, or an error after `ms`; the timer goes away with the answer, so it keeps nothing alive.
function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Polls `probe` until it returns something truthy; on timeout the error shows the last thing seen.
async function waitFor(what, probe, { timeoutMs = WAIT_MS, describe } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await sleep(50);
  }
  const seen = describe ? await describe() : last;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(seen, null, 1)}`);
}

// ---- rtlab-server, as a user runs it -------------------------------------------------------------

const children = new Set(); // every process this script started, killed on exit

async function startServer(port, tickRate = 0, extraArgs = []) {
  const proc = spawn(options.server,
    ['--host', '127.0.0.1', '--port', String(port), '--tick-rate', String(tickRate), ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let stderr = '';
  proc.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  proc.exited = exited;
  const listening = new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      const m = /^rtlab-server listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    exited.then(({ code }) => reject(new Error(`rtlab-server exited (${code}) before listening: ${stderr}`)));
  });
  const actualPort = await withTimeout(listening, 10000, 'rtlab-server printed no "listening" line in 10 s');
  return { proc, port: actualPort };
}

async function stopServer(proc) {
  proc.kill('SIGTERM');
  try {
    return await withTimeout(proc.exited, 10000, 'rtlab-server did not exit within 10 s of SIGTERM');
  } catch (error) {
    proc.kill('SIGKILL');
    throw error;
  } finally {
    children.delete(proc);
  }
}

function killEverything() {
  for (const proc of children) proc.kill('SIGKILL');
  children.clear();
}
process.on('exit', killEverything);
setTimeout(() => fail(`the whole run took over ${WHOLE_RUN_MS / 1000} s`), WHOLE_RUN_MS).unref();

// ---- A TCP relay between the browser and the server, to drop connections on purpose ----------------

class Relay {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.down = false; // while down, new connections are reset at once
    this.pairs = new Set();
    this.server = net.createServer((client) => this.accept(client));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port)));
  }

  accept(client) {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  // Every connection the browser has ends with a TCP reset, as when a network path dies.
  dropAll() {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  close() {
    this.dropAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ---- Clients outside the browser: rtlab-cli (the Qt client) and a plain POST /send -----------------

function request(port, method, target, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: target, agent: false, timeout: WAIT_MS,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, json: text ? JSON.parse(text) : null }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${target}: no answer`)));
    req.on('error', reject);
    req.end(data);
  });
}

async function publish(text, from = 'curl', port = serverPort) {
  const r = await request(port, 'POST', '/send', { type: 'chat', from, text });
  assert.equal(r.status, 202, `POST /send answered ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json.id;
}

// rtlab-cli: messages as JSON lines on stdout, connection events as JSON lines on stderr.
class Cli {
  constructor(args) {
    this.messages = [];
    this.events = [];
    this.proc = spawn(options.cli, ['--url', `http://127.0.0.1:${serverPort}`, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.proc);
    const parse = (stream, into) => readline.createInterface({ input: stream }).on('line', (line) => {
      try {
        into.push(JSON.parse(line));
      } catch {
        into.push({ unparsed: line });
      }
    });
    parse(this.proc.stdout, this.messages);
    parse(this.proc.stderr, this.events);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => {
      children.delete(this.proc);
      resolve(code);
    }));
  }

  // The client has connected: what is published from now on reaches it.
  opened() {
    return waitFor('rtlab-cli to connect', () => this.events.some((e) => e.event === 'opened'),
      { describe: () => this.events });
  }

  async stop() {
    this.proc.kill('SIGTERM');
    await withTimeout(this.exited, 10000, 'rtlab-cli ignored SIGTERM').catch(() => this.proc.kill('SIGKILL'));
  }
}

// Publishes over one transport with rtlab-cli, which exits once its message has come back to it.
async function cliSend(text, transport, from = 'rtlab-cli') {
  const cli = new Cli(['--transport', transport, '--send', text, '--from', from, '--connect-timeout', '10']);
  const code = await withTimeout(cli.exited, WAIT_MS, 'no exit').catch((error) => error.message);
  if (code !== 0) {
    await cli.stop();
    throw new Error(`rtlab-cli --send over ${transport}: ${code}; ${JSON.stringify(cli.events.slice(-5))}`);
  }
  const echo = cli.messages.find((m) => m.type === 'chat' && m.text === text);
  assert.ok(echo, `rtlab-cli saw its own message over ${transport}`);
  return echo.id;
}

// ---- The browser ----------------------------------------------------------------------------------

let serverPort;
let serverProc;
let relay;
let base;
let userDataDir;
let context;
let page;
let followers = [];
let phase = 'load';
const consoleErrors = [];

function watch(p) {
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push({ phase, text: m.text() });
  });
  p.on('pageerror', (error) => consoleErrors.push({ phase, text: `uncaught: ${error.message}`, fatal: true }));
}

// No console error since the last check, except (when allowed) the failed requests of a deliberate outage.
function assertConsoleClean({ allowNetworkFailures = false } = {}) {
  const errors = consoleErrors.splice(0);
  const bad = errors.filter((e) => e.fatal || POLICY_VIOLATION.test(e.text)
    || !(allowNetworkFailures && NETWORK_FAILURE.test(e.text)));
  assert.deepEqual(bad, [], 'console errors');
}

const snapshot = () => page.evaluate(() => window.rtlab.snapshot());
const chats = (lane) => lane.messages.filter((m) => m.type === 'chat');
const laneText = (key) => page.locator(`[data-lane="${key}"] .messages`).innerText();

function summary(s) {
  return Object.fromEntries(LANES.map((k) => {
    const { messages, ...figures } = s.lanes[k];
    return [k, { ...figures, last: messages.slice(-3) }];
  }));
}

async function waitLanes(what, predicate) {
  return waitFor(what, async () => {
    const s = await snapshot();
    return LANES.every((k) => predicate(s.lanes[k], k)) ? s : null;
  }, { describe: async () => summary(await snapshot()) });
}

const hasChat = (text) => (lane) => chats(lane).some((m) => m.text === text);

async function stats() {
  return (await request(serverPort, 'GET', '/stats')).json;
}

before(async () => {
  ({ proc: serverProc, port: serverPort } = await startServer(0));
  relay = new Relay(serverPort);
  base = `http://127.0.0.1:${await relay.listen()}`;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtlab-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: options.chromium, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 },
    timeout: WAIT_MS,
  });
  page = context.pages()[0] ?? await context.newPage();
  watch(page);
});

after(async () => {
  await Promise.all(followers.map((f) => f.stop()));
  await context?.close();
  await relay?.close();
  if (serverProc) await stopServer(serverProc).catch(() => {});
  killEverything();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

test('the page loads its own files under its policy, with no console error, and all three lanes open', async () => {
  const requested = [];
  const onRequest = (r) => requested.push(r.url());
  page.on('request', onRequest);
  const response = await page.goto(`${base}/`, { timeout: WAIT_MS });
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers['content-type'], /^text\/html/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.match(headers['content-security-policy'], /script-src 'self'/);
  assert.match(headers['content-security-policy'], /connect-src 'self'/);
  await waitLanes('all lanes open', (lane) => lane.state === 'open');
  // The stylesheet applied (not blocked), and everything the page asked for was its own origin.
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.lanes')).display), 'grid');
  page.off('request', onRequest);
  assert.deepEqual(requested.filter((url) => !url.startsWith(`${base}/`)), []);
  for (const file of ['/app.js', '/app.css']) assert.ok(requested.includes(`${base}${file}`), file);
  assert.equal((await snapshot()).violations, 0);
  assertConsoleClean();
});

test('all three lanes receive what the Qt client (rtlab-cli) publishes over each transport, and a plain POST', async () => {
  phase = 'publish';
  const texts = [];
  for (const transport of ['lp', 'sse', 'ws']) {
    texts.push(`hello from rtlab-cli over ${transport}`);
    await cliSend(texts.at(-1), transport);
  }
  texts.push('hello over a plain POST /send');
  await publish(texts.at(-1));
  const s = await waitLanes('every message on every lane', (lane) => texts.every((text) => hasChat(text)(lane)));
  for (const key of LANES) {
    const shown = await laneText(key);
    for (const text of texts) assert.ok(shown.includes(text), `${key} shows "${text}"`);
    assert.ok(s.lanes[key].latencySamples >= texts.length, `${key} measured latency`);
    assert.notEqual(await page.locator(`[data-lane="${key}"] [data-f="p50"]`).innerText(), '–');
  }
  assertConsoleClean();
});

test('what the page sends over each transport reaches Qt clients (rtlab-cli) following over each transport', async () => {
  followers = ['lp', 'sse', 'ws'].map((transport) => Object.assign(
    new Cli(['--transport', transport, '--only', 'chat', '--reconnect', 'none']), { transport }));
  await Promise.all(followers.map((f) => f.opened()));
  await page.fill('#nick', 'browser');
  for (const via of ['ws', 'sse', 'lp']) {
    const text = `from the page over ${via}`;
    await page.selectOption('#via', via);
    await page.fill('#text', text);
    await page.click('#chat button[type="submit"]');
    for (const follower of followers) {
      const got = await waitFor(`"${text}" at rtlab-cli following over ${follower.transport}`,
        () => follower.messages.find((m) => m.text === text), { describe: () => follower.messages.slice(-3) });
      assert.equal(got.from, 'browser');
      assert.ok(got.clientTs > 1e15, `clientTs in microseconds since the Unix epoch: ${got.clientTs}`);
    }
    // The page measures the round trip on the lane of the transport it chose.
    await waitFor(`the round trip over ${via}`, async () =>
      (await page.locator('#send-status').innerText()).includes(`on the ${via.toUpperCase()} lane`));
    await waitLanes(`"${text}" on every lane`, hasChat(text));
  }
  await Promise.all(followers.map((f) => f.stop()));
  followers = [];
  assertConsoleClean();
});

test('markup in a message is shown as text and runs nothing', async () => {
  const payload = '<img src=x onerror="window.__xss=1">';
  await publish(payload, '<b onmouseover="window.__xss=2">mallory</b>');
  await page.selectOption('#via', 'ws');
  await page.fill('#text', `${payload} from the page`);
  await page.click('#chat button[type="submit"]');
  // A later message on every lane: the markup has been rendered by then, if it ever would be.
  await publish('after the markup');
  await waitLanes('the markup and the message after it on every lane',
    (lane) => hasChat(payload)(lane) && hasChat(`${payload} from the page`)(lane) && hasChat('after the markup')(lane));
  for (const key of LANES) {
    const text = await laneText(key);
    assert.ok(text.includes(payload), `${key} shows the markup as text`);
    assert.ok(text.includes('<b onmouseover="window.__xss=2">mallory</b>'), `${key} shows the nickname as text`);
  }
  const dom = await page.evaluate(() => ({
    xss: window.__xss,
    images: document.querySelectorAll('img').length,
    foreign: [...document.querySelectorAll('.messages *')]
      .map((e) => e.tagName).filter((tag) => !['LI', 'SPAN', 'B'].includes(tag)),
    nestedBold: document.querySelectorAll('.messages b *').length,
  }));
  assert.deepEqual(dom, { xss: undefined, images: 0, foreign: [], nestedBold: 0 });
  assertConsoleClean();
});

test('at the 6-per-host HTTP/1.1 limit the 7th EventSource waits; one shared stream fixes it', async (t) => {
  phase = 'limit';
  await page.click('#open-extra');
  // The page itself already holds the SSE lane's stream and a held long poll: two of the six.
  const s = await waitFor('the extra streams to open up to the limit', async () => {
    const snap = await snapshot();
    const open = snap.extras.filter((x) => x.state === 'open').length;
    const sse = (await stats()).transports.sse.connections;
    return snap.extras.length === 7 && open >= 4 && sse === 1 + open ? { snap, open, sse } : null;
  }, { describe: async () => ({ extras: (await snapshot()).extras, sse: (await stats()).transports.sse }) });
  t.diagnostic(`extra EventSources: ${s.open} open, ${7 - s.open} connecting; server SSE streams: ${s.sse}`);
  // The server holds exactly the streams the page sees open: the waiting ones never left the browser.
  assert.ok(s.open <= 5, `at most 6 connections: ${s.open} extra open`);
  assert.equal(s.snap.extras[6].state, 'connecting', 'the 7th stream waits');
  assert.equal(s.snap.extras.filter((x) => x.state === 'connecting').length, 7 - s.open);
  await waitFor('the page to say so', async () =>
    /\d open, [1-9] waiting in "connecting"/.test(await page.locator('#limit-summary').innerText()));

  await page.click('#share');
  await waitFor('the extra streams to close on the server', async () => {
    const snap = await snapshot();
    return snap.extras.length === 0 && snap.shared.length === 7 && (await stats()).transports.sse.connections === 1;
  });
  await publish('one stream for seven listeners');
  await waitFor('every listener of the shared stream to get it', async () => {
    const snap = await snapshot();
    return snap.shared.every((x) => x.chat >= 1)
      && LANES.every((k) => hasChat('one stream for seven listeners')(snap.lanes[k]));
  }, { describe: snapshot });
  assertConsoleClean();
});

test('after every connection drops, each lane reconnects and resumes with no gap and no repeat', async () => {
  phase = 'outage';
  const before = await snapshot();
  relay.down = true;
  relay.dropAll();
  await waitLanes('every lane to notice the drop', (lane) => lane.state !== 'open');
  const missed = [];
  for (let i = 1; i <= 3; i++) missed.push(await publish(`while the lanes were away ${i}`));
  relay.down = false;
  await waitLanes('every lane back, with what it missed',
    (lane) => lane.state === 'open' && missed.every((id) => chats(lane).some((m) => m.id === id)));
  await publish('after the drop');
  const s = await waitLanes('the next message on every lane', hasChat('after the drop'));

  const first = before.lanes.lp.messages[0].id;
  const last = chats(s.lanes.lp).at(-1).id;
  // With ticks off the log holds chat only, so every id from the first seen to the last must be there once.
  const expected = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  for (const key of LANES) {
    const lane = s.lanes[key];
    assert.equal(lane.gaps, 0, `${key}: gaps`);
    assert.equal(lane.resets, before.lanes[key].resets, `${key}: no reset, the server still had the history`);
    assert.ok(lane.reconnects > before.lanes[key].reconnects, `${key}: reconnected`);
    assert.deepEqual(chats(lane).map((m) => m.id).filter((id) => id >= first), expected, `${key}: ids`);
  }
  assertConsoleClean({ allowNetworkFailures: true });
});

test('after a server restart on the same port, each lane shows a reset and goes on in the new epoch', async () => {
  phase = 'restart';
  const oldEpoch = (await snapshot()).lanes.sse.epoch;
  const { code } = await stopServer(serverProc);
  assert.equal(code, 0, 'rtlab-server exits 0 on SIGTERM');
  // Ticks on from here: the page's gap check then covers every message type, and the screenshot has figures.
  ({ proc: serverProc } = await startServer(serverPort, 5));
  const newEpoch = (await request(serverPort, 'GET', '/healthz')).json.epoch;
  assert.notEqual(newEpoch, oldEpoch);
  await waitLanes('a reset into the new epoch on every lane',
    (lane) => lane.state === 'open' && lane.messages.some((m) => m.type === 'reset' && m.epoch === newEpoch));
  const id = await publish('after the restart');
  const s = await waitLanes('the next message on every lane',
    (lane) => chats(lane).some((m) => m.id === id && m.epoch === newEpoch));
  for (const key of LANES) {
    assert.equal(s.lanes[key].gaps, 0, `${key}: gaps`);
    assert.equal(s.lanes[key].epoch, newEpoch);
    const reset = page.locator(`[data-lane="${key}"] .row.reset`).first();
    assert.match(await reset.innerText(), new RegExp(`epoch ${newEpoch}, lost unknown how many`));
  }
  assertConsoleClean({ allowNetworkFailures: true });
});

test('a fresh page shows the three lanes live (screenshot)', async () => {
  phase = 'fresh page';
  await page.close();
  page = await context.newPage();
  watch(page);
  await page.goto(`${base}/`, { timeout: WAIT_MS });
  await waitLanes('all lanes open', (lane) => lane.state === 'open');
  await publish('hi all, this one came in over POST /send', 'ann');
  await cliSend('and this one from rtlab-cli, as a WebSocket text frame', 'ws', 'bob');
  await publish('long polling needs a new request after every message: see its requests', 'ann');
  await cliSend('<b>markup</b> stays text here', 'sse', 'bob');
  await page.fill('#nick', 'you');
  await page.selectOption('#via', 'sse');
  await page.fill('#text', 'typed in this page, sent with POST /send');
  await page.click('#chat button[type="submit"]');
  await waitLanes('the page\'s message and some ticks on every lane',
    (lane) => hasChat('typed in this page, sent with POST /send')(lane) && lane.ticks >= 20);
  if (options.screenshot) {
    fs.mkdirSync(path.dirname(options.screenshot), { recursive: true });
    await page.screenshot({ path: options.screenshot, fullPage: true });
  }
  assertConsoleClean();
});

// ---- A durable log (--store sqlite:PATH): killed with -9 and started again, the page loses nothing ---

test('with --store sqlite, a server killed with -9 and started on the same file: every lane resumes, no reset', async () => {
  phase = 'durable';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtlab-store-'));
  const storeArgs = ['--store', `sqlite:${path.join(dir, 'chat.db')}`];
  let { proc, port } = await startServer(0, 0, storeArgs);
  const durablePage = await context.newPage();
  const errors = [];
  durablePage.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  durablePage.on('console', (m) => {
    if (m.type() === 'error' && !NETWORK_FAILURE.test(m.text())) errors.push(m.text());
  });
  const durableSnapshot = () => durablePage.evaluate(() => window.rtlab.snapshot());
  const waitEveryLane = (what, predicate) => waitFor(what, async () => {
    const s = await durableSnapshot();
    return LANES.every((k) => predicate(s.lanes[k])) ? s : null;
  }, { describe: async () => summary(await durableSnapshot()) });
  const hasIds = (ids) => (lane) => ids.every((id) => chats(lane).some((m) => m.id === id));
  try {
    await durablePage.goto(`http://127.0.0.1:${port}/`, { timeout: WAIT_MS });
    await waitEveryLane('all lanes open', (lane) => lane.state === 'open');
    const sent = [];
    for (let i = 1; i <= 3; i++) sent.push(await publish(`before the kill ${i}`, 'curl', port));
    const before = await waitEveryLane('what was sent before the kill on every lane', hasIds(sent));
    const epoch = (await request(port, 'GET', '/healthz')).json.epoch;

    proc.kill('SIGKILL');
    await withTimeout(proc.exited, 10000, 'rtlab-server survived SIGKILL');
    children.delete(proc);
    ({ proc } = await startServer(port, 0, storeArgs));
    assert.equal((await request(port, 'GET', '/healthz')).json.epoch, epoch, 'the same epoch after the restart');
    for (let i = 1; i <= 3; i++) sent.push(await publish(`after the restart ${i}`, 'curl', port));
    const s = await waitEveryLane('every lane back, with everything sent',
      (lane) => lane.state === 'open' && hasIds(sent)(lane));
    for (const key of LANES) {
      const lane = s.lanes[key];
      assert.equal(lane.resets, 0, `${key}: no reset`);
      assert.equal(lane.gaps, 0, `${key}: gaps`);
      assert.equal(lane.epoch, epoch, `${key}: epoch`);
      assert.ok(lane.reconnects > before.lanes[key].reconnects, `${key}: reconnected`);
      assert.deepEqual(chats(lane).map((m) => m.id), sent, `${key}: every id once, in order`);
      assert.equal(await durablePage.locator(`[data-lane="${key}"] .row.reset`).count(), 0, `${key}: no reset shown`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await durablePage.close();
    await stopServer(proc).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- Two nodes on one Redis log (--store redis://…): the page on node A shows what node B is sent ---

// A redis-server on a free loopback port in a directory of its own (as tests/redistestsupport.h starts
// one); null when redis-server is not installed.
async function startRedis(dir) {
  const free = net.createServer();
  await new Promise((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = free.address().port;
  await new Promise((resolve) => free.close(resolve));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = await new Promise((resolve) => {
    proc.once('error', () => resolve(false));
    proc.once('exit', () => resolve(false));
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line.includes('Ready to accept connections')) resolve(true);
    });
  });
  if (!started) return null;
  children.add(proc);
  return { proc, url: `redis://127.0.0.1:${port}` };
}

test('two nodes on one Redis log: every lane of the page on node A shows what node B is sent, in order', async (t) => {
  phase = 'cluster';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtlab-redis-'));
  const redis = await startRedis(dir);
  if (!redis) {
    t.skip('redis-server is not installed (dev.sh installs it)');
    return;
  }
  const nodes = [];
  const clusterPage = await context.newPage();
  const errors = [];
  clusterPage.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  clusterPage.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  try {
    for (const name of ['A', 'B']) {
      try {
        nodes.push(await startServer(0, 0, ['--store', redis.url, '--node', name]));
      } catch (error) {
        if (/this build has no Redis store/.test(error.message)) {
          t.skip('this build has no Redis store');
          return;
        }
        throw error;
      }
    }
    const [a, b] = nodes;
    const clusterSnapshot = () => clusterPage.evaluate(() => window.rtlab.snapshot());
    const waitEveryLane = (what, predicate) => waitFor(what, async () => {
      const s = await clusterSnapshot();
      return LANES.every((k) => predicate(s.lanes[k])) ? s : null;
    }, { describe: async () => summary(await clusterSnapshot()) });
    await clusterPage.goto(`http://127.0.0.1:${a.port}/`, { timeout: WAIT_MS });
    await waitEveryLane('all lanes open', (lane) => lane.state === 'open');
    const sent = [];
    for (let i = 1; i <= 6; i++) sent.push(await publish(`to node ${i % 2 ? 'B' : 'A'} ${i}`, 'curl', i % 2 ? b.port : a.port));
    assert.deepEqual(sent, [1, 2, 3, 4, 5, 6], 'the cluster gives ids in one sequence');
    const s = await waitEveryLane('everything sent to either node on every lane',
      (lane) => sent.every((id) => chats(lane).some((m) => m.id === id)));
    for (const key of LANES) {
      const lane = s.lanes[key];
      assert.equal(lane.gaps, 0, `${key}: gaps`);
      assert.equal(lane.resets, 0, `${key}: resets`);
      assert.deepEqual(chats(lane).map((m) => m.text), sent.map((id) => `to node ${id % 2 ? 'B' : 'A'} ${id}`),
        `${key}: every message once, in the log's order`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await clusterPage.close();
    for (const node of nodes) await stopServer(node.proc).catch(() => {});
    redis.proc.kill('SIGTERM');
    children.delete(redis.proc);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- A server with tokens (--auth-key): the page signs in and gets the cookie ----------------------

// `rtlab-server token …`: the token alone on stdout.
function mintToken(keyFile, sub) {
  return new Promise((resolve, reject) => {
    const proc = spawn(options.server, ['token', '--auth-key', keyFile, '--sub', sub, '--exp', '15m'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk) => { out += chunk; });
    proc.stderr.on('data', (chunk) => { err += chunk; });
    proc.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`token: ${code} ${err}`))));
  });
}

test('with --auth-key the page says it is not allowed, signs in with a token, and publishes as its sub', async () => {
  phase = 'auth';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtlab-auth-'));
  const keyFile = path.join(dir, 'key');
  fs.writeFileSync(keyFile, crypto.randomBytes(48), { mode: 0o600 });
  const { proc, port } = await startServer(0, 0, ['--auth-key', keyFile]);
  const authPage = await context.newPage();
  const errors = [];
  authPage.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  authPage.on('console', (m) => { if (m.type() === 'error' && POLICY_VIOLATION.test(m.text())) errors.push(m.text()); });
  const authSnapshot = () => authPage.evaluate(() => window.rtlab.snapshot());
  try {
    await authPage.goto(`http://127.0.0.1:${port}/`, { timeout: WAIT_MS });
    // Not signed in: every lane is refused, and the page says so instead of retrying in silence.
    await waitFor('every lane "not allowed"', async () => {
      const s = await authSnapshot();
      return LANES.every((k) => s.lanes[k].state === 'not allowed') ? s : null;
    }, { describe: authSnapshot });
    assert.match((await authSnapshot()).auth, /^Not allowed: 401/);
    await authPage.fill('#nick', 'mallory');
    await authPage.selectOption('#via', 'sse');
    await authPage.fill('#text', 'posted without a token');
    await authPage.click('#chat button[type="submit"]');
    await waitFor('the refused POST in the send status', async () => /^POST \/send: 401/.test(
      (await authSnapshot()).sendStatus), { describe: authSnapshot });

    // A wrong token is refused in words; the right one sets the HttpOnly cookie and the lanes open.
    await authPage.fill('#token', 'not.a.token');
    await authPage.click('#signin button[type="submit"]');
    await waitFor('the refused sign-in', async () => /^Sign-in refused: 401/.test((await authSnapshot()).auth),
      { describe: authSnapshot });
    await authPage.fill('#token', await mintToken(keyFile, 'ann'));
    await authPage.click('#signin button[type="submit"]');
    await waitFor('every lane open after signing in', async () => {
      const s = await authSnapshot();
      return LANES.every((k) => s.lanes[k].state === 'open') ? s : null;
    }, { describe: authSnapshot });
    assert.match((await authSnapshot()).auth, /^Signed in/);
    assert.equal(await authPage.inputValue('#token'), '', 'the page keeps no copy of the token');
    const cookie = (await context.cookies(`http://127.0.0.1:${port}/`)).find((c) => c.name === 'rtlab_token');
    assert.ok(cookie, 'the rtlab_token cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await authPage.evaluate(() => document.cookie.includes('rtlab_token')), false, 'script cannot read it');

    // Sent as "mallory" over POST and over the WebSocket: it arrives under the token's sub, on every lane.
    for (const via of ['sse', 'ws']) {
      const text = `signed in, over ${via}`;
      await authPage.selectOption('#via', via);
      await authPage.fill('#text', text);
      await authPage.click('#chat button[type="submit"]');
      const s = await waitFor(`"${text}" on every lane`, async () => {
        const snap = await authSnapshot();
        return LANES.every((k) => hasChat(text)(snap.lanes[k])) ? snap : null;
      }, { describe: authSnapshot });
      for (const key of LANES) {
        assert.deepEqual(chats(s.lanes[key]).filter((m) => m.text === text).map((m) => m.from), ['ann'], key);
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await authPage.close();
    await stopServer(proc).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
