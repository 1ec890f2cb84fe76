'use strict';
/*
 * A tiny HTTP service that reproduces the classic Node.js leak: a listener added per request to a
 * long-lived EventEmitter and never removed. Every request subscribes to the process-wide
 * "prices" emitter so its quote could be refreshed while it is rendered; the listener is a closure
 * over the request's rendered quote (~32 KiB), and nothing removes it when the response is sent,
 * so one closure and its quote stay reachable from the emitter per request (Node warns once,
 * MaxListenersExceededWarning, and carries on). With --healthy the listener is removed when the
 * response closes, the fixed twin. Each request also builds short-lived objects (parsed and
 * re-serialized JSON), so V8's scavenges give RSS a GC sawtooth. Node's standard library only.
 *
 * Only used to record traces for the detection benchmark (see src/test/scripts/record-service.sh):
 *   node service.js --port 18084 [--healthy]
 */
const http = require('node:http');
const crypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const { parseArgs } = require('node:util');

const QUOTE_LINES = 512;

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '18084' },
    healthy: { type: 'boolean', default: false },
  },
});

const prices = new EventEmitter();
let requests = 0;
// A price feed ticking every 5 s, so the listeners are called as the real ones would be.
setInterval(() => prices.emit('price'), 5000);

function renderQuote(id) {
  const digest = crypto.createHash('sha256').update(String(id)).digest('hex');
  const lines = [];
  for (let line = 0; line < QUOTE_LINES; line++) {
    lines.push(`${String(id).padStart(8, '0')} ${String(line).padStart(4, '0')} ${digest.slice(0, 48)}`);
  }
  return lines.join('\n');
}

function shortLivedGarbage(id) {
  const items = Array.from({ length: 2000 }, (_, index) => ({ index, id, payload: 'x'.repeat(64) }));
  return JSON.parse(JSON.stringify(items)).length;
}

const server = http.createServer((req, res) => {
  const id = ++requests;
  const quote = { id, text: renderQuote(id), refreshed: 0 };
  const onPrice = () => { quote.refreshed++; };
  prices.on('price', onPrice);
  if (options.healthy) {
    res.on('close', () => prices.off('price', onPrice));
  }
  const garbage = shortLivedGarbage(id);
  const body = `ok ${quote.text.length} garbage ${garbage} listeners ${prices.listenerCount('price')}\n`;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});

server.listen(Number(options.port), '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${options.port} healthy=${options.healthy}`);
});
