import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCaddy, startLivekitServer, type RunningCaddy, type RunningLivekitServer } from '@parley/tools';
import { startTestGateway, type TestGateway } from '@parley/testkit';

/**
 * `npm start -- --lan`'s proxy: Caddy (Debian's) with `tls internal` in front of the gateway and
 * LiveKit's signalling, on 127.0.0.1 under the name parley.localhost. Everything is checked with
 * Caddy's root certificate as the only trusted authority, as a phone that trusted it would.
 */
const NAME = 'parley.localhost';

describe('HTTPS through Caddy (tls internal)', () => {
  let lk: RunningLivekitServer;
  let gw: TestGateway;
  let caddy: RunningCaddy;
  let dir: string;
  let port: number;
  let httpPort: number;
  let ca: Buffer;

  const request = (method: string, p: string, body?: unknown) =>
    new Promise<{
      status: number;
      headers: http.IncomingHttpHeaders;
      body: string;
      authorized: boolean;
      cert: PeerCertificate;
    }>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: p,
          method,
          servername: NAME,
          ca,
          headers: {
            host: `${NAME}:${port}`,
            origin: `https://${NAME}:${port}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          const socket = res.socket as TLSSocket;
          const [authorized, cert] = [socket.authorized, socket.getPeerCertificate(true)];
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, authorized, cert }));
        },
      );
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'parley-caddy-'));
    [port, httpPort] = [await freePort(), await freePort()];
    lk = await startLivekitServer();
    gw = await startTestGateway({
      env: {
        LIVEKIT_URL: lk.url,
        LIVEKIT_API_KEY: lk.apiKey,
        LIVEKIT_API_SECRET: lk.apiSecret,
        LIVEKIT_PUBLIC_URL: `wss://${NAME}:${port}`,
        PUBLIC_URL: `https://${NAME}:${port}`,
      },
    });
    caddy = await startCaddy({
      names: [NAME],
      httpsPort: port,
      httpPort,
      gateway: `127.0.0.1:${gw.port}`,
      livekit: `127.0.0.1:${lk.port}`,
      dataDir: dir,
    });
    for (let i = 0; i < 100 && !existsSync(caddy.rootCertificate); i++) await new Promise((r) => setTimeout(r, 100));
    ca = readFileSync(caddy.rootCertificate);
  }, 90_000);

  afterAll(async () => {
    await caddy?.stop();
    await gw?.stop();
    await lk?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the gateway over HTTPS with a certificate for the name, from Caddy’s local authority', async () => {
    const r = await request('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok' });
    expect(r.authorized).toBe(true);
    const cert = r.cert;
    expect(cert.subjectaltname).toContain(`DNS:${NAME}`);
    expect(cert.issuer.CN).toMatch(/Caddy Local Authority/);
    // HSTS and Secure cookies follow PUBLIC_URL=https://…
    expect(r.headers['strict-transport-security']).toBeDefined();
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: httpPort, path: '/', headers: { host: `${NAME}:${httpPort}` } }, resolve)
        .on('error', reject),
    );
    res.resume();
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe(`https://${NAME}:${port}/`);
  });

  it('starts a call over HTTPS and carries LiveKit signalling (wss://…/rtc) through the same name', async () => {
    const created = await request('POST', '/api/calls', {});
    expect(created.status).toBe(201);
    const call = JSON.parse(created.body) as { url: string; token: string; room: string };
    expect(call.url).toBe(`wss://${NAME}:${port}`);
    expect(created.headers['set-cookie']?.[0]).toMatch(/; secure/i);
    // The same token the browser gets; livekit-client opens <url>/rtc with it.
    // TLS options as https.request takes them (ws passes them to the TLS connection).
    const tlsOptions: https.RequestOptions = { ca, servername: NAME, headers: { host: `${NAME}:${port}` } };
    const ws = new WebSocket(
      `wss://127.0.0.1:${port}/rtc?access_token=${call.token}&auto_subscribe=1&sdk=js&protocol=15`,
      tlsOptions as WebSocket.ClientOptions,
    );
    const first = await new Promise<Buffer>((resolve, reject) => {
      ws.once('message', (data) => resolve(data as Buffer));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    ws.close();
    // LiveKit's first signal message is a binary JoinResponse naming the room from the token.
    expect(first.length).toBeGreaterThan(20);
    expect(first.toString('latin1')).toContain(call.room);
  });
});
