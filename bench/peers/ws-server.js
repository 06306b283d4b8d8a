#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// A Node broadcast server for rtlab's benchmarks (loopback only), the "Node ws" peer:
//   GET  /ws      WebSocket (ws 8, perMessageDeflate off): every published body as one text frame
//   GET  /events  Server-Sent Events: every body as one "data:" line with an "id:" (close-delimited,
//                 no chunking); a Last-Event-ID header replays what came after it from the history
//   GET  /poll?after=N   long poll in rtlab's shape: {"messages":[...],"cursor":N}, held up to 25 s
//   POST /pub     publishes the request body (a JSON message) unchanged; 202
//   GET  /healthz {"ok":true}
// Usage: node bench/peers/ws-server.js PORT
'use strict';
const http = require('http');
const path = require('path');
const WebSocket = require(path.join(__dirname, '..', 'node_modules', 'ws'));

const port = Number(process.argv[2] || 8090);
const HISTORY = 10000;          // messages kept for long polls that come back
const HOLD_MS = 25000;          // longest poll hold
const HEARTBEAT_MS = 15000;     // SSE comment / WebSocket ping

const history = [];             // [{id, body}]
let lastId = 0;
const sse = new Set();
const polls = new Set();        // {res, after, timer}

function pollAnswer(after) {
  const first = history.length ? history[0].id : lastId + 1;
  const from = Math.max(after + 1, first);
  const msgs = [];
  for (let i = from - first; i < history.length && msgs.length < 1000; ++i) msgs.push(history[i].body);
  const cursor = msgs.length ? from + msgs.length - 1 : Math.max(after, 0);
  return '{"messages":[' + msgs.join(',') + '],"cursor":' + cursor + '}';
}

function answerPoll(p, body) {
  clearTimeout(p.timer);
  polls.delete(p);
  p.res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)});
  p.res.end(body);
}

function publish(body) {
  const id = ++lastId;
  history.push({id, body});
  if (history.length > HISTORY) history.shift();
  // Encode once per transport; ws frames the same string for every client.
  for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(body);
  const event = 'id: ' + id + '\ndata: ' + body + '\n\n';
  for (const res of sse) res.write(event);
  if (polls.size) {
    const answers = new Map();
    for (const p of [...polls]) {
      let a = answers.get(p.after);
      if (a === undefined) answers.set(p.after, a = pollAnswer(p.after));
      answerPoll(p, a);
    }
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'POST' && url.pathname === '/pub') {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      publish(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(202, {'Content-Type': 'application/json', 'Content-Length': 2});
      res.end('{}');
    });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/events') {
    res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'Connection': 'close'});
    res.socket.setNoDelay(true);
    res.write('retry: 1000\n\n');
    const lastText = req.headers['last-event-id'];
    if (lastText !== undefined && history.length) {
      const last = Number(lastText);
      const first = history[0].id;
      let replay = '';
      for (let i = Math.max(last + 1, first) - first; i >= 0 && i < history.length; ++i)
        replay += 'id: ' + history[i].id + '\ndata: ' + history[i].body + '\n\n';
      if (replay) res.write(replay);
    }
    sse.add(res);
    req.on('close', () => sse.delete(res));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/poll') {
    const afterText = url.searchParams.get('after');
    if (afterText === null) {
      const body = '{"messages":[],"cursor":' + lastId + '}';
      res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)});
      res.end(body);
      return;
    }
    const after = Number(afterText);
    if (after < lastId) {
      const body = pollAnswer(after);
      res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)});
      res.end(body);
      return;
    }
    const p = {res, after, timer: null};
    p.timer = setTimeout(() => answerPoll(p, pollAnswer(after)), HOLD_MS);
    polls.add(p);
    req.on('close', () => { clearTimeout(p.timer); polls.delete(p); });
    return;
  }
  if (url.pathname === '/healthz') {
    res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': 11});
    res.end('{"ok":true}');
    return;
  }
  res.writeHead(404, {'Content-Length': 0});
  res.end();
});
server.keepAliveTimeout = 300000;   // the idle keep-alive connections of the 1:1 scenario stay
server.headersTimeout = 310000;
server.requestTimeout = 0;          // SSE streams and held polls are long requests
server.maxConnections = 19900;

const wss = new WebSocket.Server({server, path: '/ws', perMessageDeflate: false, clientTracking: true, backlog: 4096});

setInterval(() => {
  for (const res of sse) res.write(': hb\n\n');
  for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.ping();
}, HEARTBEAT_MS).unref();

server.listen({host: '127.0.0.1', port, backlog: 4096}, () => {
  console.log(`ws-server listening on http://127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
