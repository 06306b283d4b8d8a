#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Publishes N chat messages at R per second over one WebSocket (bounded in count and time).
const WebSocket = require('ws');
const [port, n, rate] = process.argv.slice(2).map(Number);
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
let sent = 0;
ws.on('open', () => {
  const start = Date.now();
  const tick = () => {
    const due = Math.min(n, Math.floor((Date.now() - start) * rate / 1000));
    while (sent < due) ws.send(JSON.stringify({type:'chat', from:'pub', text:'m' + (sent++)}));
    if (sent < n) setTimeout(tick, 1); else setTimeout(() => process.exit(0), 500);
  };
  tick();
});
setTimeout(() => process.exit(1), 60000);
