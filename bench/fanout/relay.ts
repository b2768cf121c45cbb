// The fan-out baseline: the least a Redis pub/sub → WebSocket relay can do for the same message
// pattern. POST /publish/<channel> with an ingest batch publishes one message per event to Redis;
// WebSocket clients on /ws?channel=<id> receive every message of their channel. One subscriber
// connection per process with local fan-out, like the gateway's RedisBus. No auth, no validation,
// no storage, no logging.
import { createServer } from 'node:http';
import { EventEmitter } from 'node:events';
import { createClient } from 'redis';
import { answerProfileRequests } from '../lib/profiler-ipc';
import { reportPauses } from '../lib/stalls';
import { WebSocketServer, type WebSocket } from 'ws';

const prefix = process.env.RELAY_PREFIX ?? 'bench-relay:';
const pub = createClient({ url: process.env.REDIS_URL });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);
const local = new EventEmitter().setMaxListeners(0);
const channels = new Map<string, { count: number; ready: Promise<unknown> }>();

async function subscribe(channel: string, ws: WebSocket) {
  let entry = channels.get(channel);
  if (!entry) {
    entry = { count: 0, ready: sub.subscribe(prefix + channel, (m) => local.emit(channel, m)) };
    channels.set(channel, entry);
  }
  entry.count++;
  const send = (m: string) => ws.send(m);
  local.on(channel, send);
  ws.on('close', () => {
    local.off(channel, send);
    const e = channels.get(channel);
    if (e && --e.count === 0) {
      channels.delete(channel);
      void sub.unsubscribe(prefix + channel);
    }
  });
  await entry.ready;
}

const server = createServer((req, res) => {
  const m = /^\/publish\/([\w-]+)$/.exec(req.url ?? '');
  if (req.method !== 'POST' || !m) return void res.writeHead(404).end();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const conversationId = m[1]!;
    const { events } = JSON.parse(Buffer.concat(chunks).toString()) as { events: Array<Record<string, unknown>> };
    const createdAt = new Date().toISOString();
    Promise.all(
      events.map((e) => pub.publish(prefix + conversationId, JSON.stringify({ ...e, conversationId, createdAt }))),
    ).then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":1}'),
      () => res.writeHead(503).end(),
    );
  });
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const channel = new URL(req.url ?? '', 'http://x').searchParams.get('channel');
  if (!channel) return void socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    void subscribe(channel, ws).then(() => ws.send(JSON.stringify({ type: 'snapshot' })));
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send?.({ ready: `http://127.0.0.1:${port}` });
});
const stop = () => {
  for (const c of wss.clients) c.terminate();
  server.close();
  void Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0));
};
answerProfileRequests();
reportPauses();
process.on('SIGTERM', stop);
process.on('disconnect', stop);
