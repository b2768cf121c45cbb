/**
 * Property-based malformed input (fast-check): well over 1,000 requests across every public route
 * of the live OpenAPI document, the signed ingest route (validly signed, so validation is what is
 * exercised) and every WebSocket client message type. Wrong types, missing and extra fields, huge
 * strings, bad UTF-8, bad JSON, wrong top-level types, bad cursors, dates, limits and ids.
 * Properties: no 5xx; every error in the `{ error: { code, message, details? } }` shape; a refused
 * request changes nothing (the user's data and every table's row count are equal before/after).
 * Counts go to test-results/bad-input.json for docs/reliability.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CLIENT_FRAME_BYTES } from '@parley/protocol';
import { signRequest } from '@parley/protocol/signature';
import { startTestGateway, TEST_INGEST_SECRET, TestClient, type TestGateway } from '@parley/testkit';
import { ingest, openTranscript, utterance } from '@parley/testkit/calls';
import {
  fill,
  isErrorShape,
  operations,
  registerUser,
  seedConversation,
  snapshot,
  tableCounts,
  type JsonSchema,
  type Operation,
  type User,
} from '../attacks/support';

const RUNS = { body: 700, query: 250, path: 120, ingest: 250, ws: 200 };
const stats = { requests: 0, fiveXx: 0, badShape: 0, wsFrames: 0, byClass: {} as Record<string, number> };

let gw: TestGateway;
let ops: Operation[];
let user: User;
let conversationId: string;
let callId: string;

beforeAll(async () => {
  gw = await startTestGateway({ env: { RATE_LIMIT_LOGIN_PER_IP: '100000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000' } });
  ops = await operations(gw.url);
  user = await registerUser(gw, 'fuzz');
  conversationId = await seedConversation(gw.database.db, user.id, ['the first words', 'an answer']);
  callId = (await user.client.post('/api/calls', {})).body.conversationId;
  await ingest(gw.url, callId, [{ type: 'utterance', utterance: utterance(0) }]);
});
afterAll(async () => {
  mkdirSync(path.resolve(import.meta.dirname, '../../test-results'), { recursive: true });
  writeFileSync(path.resolve(import.meta.dirname, '../../test-results/bad-input.json'), JSON.stringify(stats, null, 2));
  await gw?.stop();
});

// ---- generators -------------------------------------------------------------------------------

/** Odd strings (U+0000 included: refused at validation, see the regression test below). */
const text = (maxLength = 40) =>
  fc
    .oneof(
      fc.string({ maxLength }),
      fc.string({ unit: 'binary', maxLength }),
      fc.string({ unit: 'grapheme', maxLength }),
    )
    .map((s) => (s.length > 3 && s.charCodeAt(0) % 7 === 0 ? `\u0000${s}` : s));
const huge = fc.integer({ min: 2_001, max: 60_000 }).map((n) => 'ü'.repeat(n / 2));
const anyJson = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  text(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(text(8), fc.integer(), { maxKeys: 3 }),
);
const typeOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

function allowedTypes(schema: JsonSchema): Set<string> {
  const out = new Set<string>();
  const walk = (s: JsonSchema) => {
    if (!s) return;
    if (s.anyOf || s.oneOf) for (const x of s.anyOf ?? s.oneOf) walk(x);
    const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    for (const t of types) out.add(t);
    if (s.enum) for (const e of s.enum) out.add(typeOf(e));
    if (s.const !== undefined) out.add(typeOf(s.const));
  };
  walk(schema);
  if (out.has('number')) out.add('integer');
  return out;
}
// Judged by the value as it goes over the wire: NaN and ±Infinity serialise as null, which a
// nullable field accepts (a seed that drew NaN for `days: integer | null` "was accepted").
const wrongValue = (schema: JsonSchema) =>
  anyJson.filter(
    (v) => !allowedTypes(schema).has(typeOf(JSON.parse(JSON.stringify(v) ?? 'null'))) && allowedTypes(schema).size > 0,
  );

/** A body each write would accept but that changes nothing if it ever got through. */
async function baseBody(op: Operation): Promise<Record<string, unknown>> {
  const prefs = (await user.client.get('/api/me/preferences')).body.preferences;
  switch (`${op.method} ${op.path}`) {
    case 'POST /api/auth/login':
      return { email: user.email, password: 'not-the-password-0' };
    case 'POST /api/auth/register':
      return { email: user.email, password: 'violet-harbor-lantern-47', displayName: 'dup' }; // taken: 409 at worst
    case 'DELETE /api/me':
      return { password: 'not-the-password-0' };
    case 'PATCH /api/me':
      return { displayName: 'fuzz' };
    case 'POST /api/me/password':
      return { currentPassword: 'not-the-password-0', newPassword: 'another-long-passphrase-9' };
    case 'PUT /api/me/preferences':
      return prefs;
    case 'PUT /api/me/retention':
      return { days: null };
    case 'POST /api/me/import':
      return { format: 'parley-export', version: 1, preferences: prefs };
    default:
      return {};
  }
}

type Raw = { cls: string; raw: string | Buffer; contentType?: string };

function bodyMutations(schema: JsonSchema, base: Record<string, unknown>): fc.Arbitrary<Raw> {
  const props: Record<string, JsonSchema> = schema.properties ?? {};
  const names = Object.keys(props);
  const required: string[] = schema.required ?? [];
  const json = (cls: string, v: unknown): Raw => ({ cls, raw: JSON.stringify(v) });
  const arbs: fc.Arbitrary<Raw>[] = [
    // bad JSON: truncations of the valid body, random text, deep nesting
    fc
      .integer({ min: 1, max: Math.max(1, JSON.stringify(base).length - 1) })
      .map((n) => ({ cls: 'bad_json', raw: JSON.stringify(base).slice(0, n) })),
    text(60)
      .filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      })
      .map((s) => ({ cls: 'bad_json', raw: s })),
    fc.integer({ min: 1_000, max: 20_000 }).map((n) => ({ cls: 'bad_json', raw: '['.repeat(n) })),
    // wrong top-level types
    fc
      .oneof(fc.array(anyJson, { maxLength: 3 }), fc.integer(), text(), fc.constant(null), fc.boolean())
      .map((v) => json('wrong_type', v)),
    // bad UTF-8 bytes as the whole body
    fc
      .uint8Array({ minLength: 1, maxLength: 200 })
      .map((b) => ({ cls: 'bad_utf8', raw: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(b)]) })),
    // a JSON body with a content type the API does not parse
  ];
  // (POST /api/me/import takes any other content type as an export file: documented, not malformed.)
  if (!('format' in base))
    arbs.push(
      fc
        .constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
          'multipart/form-data; boundary=x',
        )
        .map((ct) => ({ cls: 'wrong_content_type', raw: JSON.stringify({ ...base, zz: 1 }), contentType: ct })),
    );
  // bad UTF-8 bytes inside a string: an extra field (strict objects), or a field that only takes fixed values
  const fixed =
    names.find((n) => props[n]!.const !== undefined || props[n]!.enum) ??
    (schema.additionalProperties === false ? 'zz' : undefined);
  if (fixed)
    arbs.push(
      fc.uint8Array({ minLength: 1, maxLength: 30 }).map((bytes) => {
        const [head, tail] = JSON.stringify({ ...base, [fixed]: '\u0001' }).split('\\u0001') as [string, string];
        return {
          cls: 'bad_utf8',
          raw: Buffer.concat([
            Buffer.from(head),
            Buffer.from([0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80]),
            Buffer.from(bytes.filter((b) => b !== 0x22 && b !== 0x5c)),
            Buffer.from(tail),
          ]),
        };
      }),
    );
  if (schema.additionalProperties === false)
    arbs.push(
      fc
        .tuple(
          text(12).filter((k) => k.length > 0 && !names.includes(k)),
          anyJson,
        )
        .map(([k, v]) => json('extra_field', { ...base, [k]: v })),
    );
  if (required.length)
    arbs.push(
      fc
        .subarray(required, { minLength: 1 })
        .map((drop) =>
          json('missing_field', Object.fromEntries(Object.entries(base).filter(([k]) => !drop.includes(k)))),
        ),
    );
  for (const name of names) {
    const s = props[name]!;
    if (allowedTypes(s).size) arbs.push(wrongValue(s).map((v) => json('wrong_type', { ...base, [name]: v })));
    const maxLength = s.maxLength ?? s.anyOf?.find((x: JsonSchema) => x.maxLength)?.maxLength;
    if (maxLength)
      arbs.push(huge.filter((h) => h.length > maxLength).map((h) => json('huge_string', { ...base, [name]: h })));
    if (s.type === 'array')
      arbs.push(
        fc
          .array(wrongValue(s.items ?? {}), { minLength: 1, maxLength: 3 })
          .map((a) => json('wrong_type', { ...base, [name]: a })),
      );
    if (s.type === 'integer' || allowedTypes(s).has('integer'))
      arbs.push(
        fc.constantFrom('-1', '1e309', '0.5', '9007199254740992', '-2147483648', '1000001').map((n) => ({
          cls: 'bad_number',
          raw: JSON.stringify({ ...base, [name]: 0 }).replace(`"${name}":0`, `"${name}":${n}`),
        })),
      );
  }
  return fc.oneof(...arbs);
}

const badId = fc.oneof(
  text(30).filter((s) => s.length > 0),
  fc.constantFrom(
    '0',
    '-1',
    'null',
    'undefined',
    '00000000-0000-0000-0000-00000000000g',
    '%00',
    '%ff%fe',
    '..%2f..%2fetc%2fpasswd',
    '%E0%A4%A',
    'x'.repeat(5000),
    '{id}',
    '1e309',
  ),
  fc.uuid().map((u) => u.toUpperCase() + 'x'),
);
const badQueryValue = fc.oneof(
  text(40),
  fc.integer({ min: 201, max: 600 }).map((n) => 'ü'.repeat(n)), // long, but inside Node's 16 kB header limit (over it: 431 from the HTTP parser)
  fc.constantFrom(
    '',
    '-1',
    '0',
    '1.5',
    'NaN',
    'Infinity',
    '1e309',
    '9'.repeat(40),
    '2025-02-30',
    '2025-13-01',
    '99999-01-01',
    'yesterday',
    '2025-01-01T25:61:00Z',
    'T',
    '%ff',
    '%E0%A4%A',
    '[]',
    '{}',
    'true',
  ),
  fc.base64String({ minLength: 4, maxLength: 200 }).map((b) => `${b}.${b}`),
);

// ---- the request runner -----------------------------------------------------------------------

async function send(
  method: string,
  p: string,
  init: { raw?: string | Buffer; contentType?: string; cookie?: boolean; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { origin: gw.url, ...init.headers };
  if (init.cookie !== false) headers.cookie = user.client.cookieHeader();
  if (init.raw !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(gw.url + p, { method, headers, body: init.raw, redirect: 'manual' });
  const body = await res.text();
  stats.requests++;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (res.status >= 500) stats.fiveXx++;
  if (res.status >= 400 && !isErrorShape(parsed)) stats.badShape++;
  return { status: res.status, body: parsed, text: body };
}

function expectRefusedCleanly(r: { status: number; body: unknown; text: string }, what: string) {
  expect(r.status, `${what} → ${r.status} ${r.text.slice(0, 200)}`).toBeLessThan(500);
  if (r.status >= 400) expect(isErrorShape(r.body), `${what}: ${r.text.slice(0, 200)}`).toBe(true);
}

const count = (cls: string) => (stats.byClass[cls] = (stats.byClass[cls] ?? 0) + 1);

describe('malformed requests on every public route (fast-check)', () => {
  it(`sends ${RUNS.body + RUNS.query + RUNS.path} malformed HTTP requests: no 5xx, one error shape, nothing changed`, async () => {
    const before = await snapshot(gw.database.db, user.id);
    const countsBefore = await tableCounts(gw.database.db);
    const publicOps = ops.filter((o) => !o.signed && o.path !== '/internal/livekit/webhook');
    const withBody = publicOps.filter(
      (o) => o.requestSchema && o.path !== '/api/calls' && o.path !== '/api/auth/logout',
    );
    expect(withBody.length).toBeGreaterThanOrEqual(8);
    const bodyArbs = await Promise.all(
      withBody.map(async (op) => bodyMutations(op.requestSchema!, await baseBody(op)).map((m) => ({ op, m }))),
    );
    // /api/calls ignores its body (documented); only unparseable bodies are malformed there.
    const calls = publicOps.find((o) => o.path === '/api/calls')!;
    bodyArbs.push(
      fc
        .constantFrom('{', '{"a":', '\u0000', '[', 'nul')
        .map((raw) => ({ op: calls, m: { cls: 'bad_json', raw } as Raw })),
    );

    await fc.assert(
      fc.asyncProperty(fc.oneof(...bodyArbs), async ({ op, m }) => {
        const r = await send(op.method, fill(op.path, conversationId.replace(/.$/, 'f')), {
          raw: m.raw,
          contentType: m.contentType,
        });
        count(m.cls);
        expectRefusedCleanly(r, `${op.method} ${op.path} ${m.cls}`);
        expect(r.status, `${op.method} ${op.path} ${m.cls} was accepted`).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: RUNS.body },
    );

    const withQuery = publicOps.filter((o) => o.method === 'GET' && o.queryParams.length);
    expect(withQuery.map((o) => o.path)).toEqual(expect.arrayContaining(['/api/conversations', '/api/voices']));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...withQuery),
        fc.array(
          fc.tuple(
            fc.oneof(fc.constantFrom(...withQuery.flatMap((o) => o.queryParams.map((p) => p.name))), text(10)),
            badQueryValue,
          ),
          { minLength: 1, maxLength: 3 },
        ),
        async (op, pairs) => {
          const qs = pairs
            .map(([k, v]) => `${encodeURIComponent(k)}=${/%|^[\w.-]*$/.test(v) ? v : encodeURIComponent(v)}`)
            .join('&');
          const r = await send('GET', `${fill(op.path, conversationId)}?${qs}`);
          count('bad_query');
          expectRefusedCleanly(r, `GET ${op.path}?${qs.slice(0, 80)}`);
        },
      ),
      { numRuns: RUNS.query },
    );

    const withId = publicOps.filter((o) => o.path.includes('{'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withId), badId, async (op, id) => {
        const p = fill(op.path, /%/.test(id) ? id : encodeURIComponent(id));
        const r = await send(op.method, p, op.method === 'GET' || op.method === 'DELETE' ? {} : { raw: '{}' });
        count('bad_id');
        expectRefusedCleanly(r, `${op.method} ${p.slice(0, 80)}`);
        expect(r.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: RUNS.path },
    );

    expect(await snapshot(gw.database.db, user.id)).toEqual(before);
    expect(await tableCounts(gw.database.db)).toEqual(countsBefore);
    expect((await user.client.get('/api/auth/me')).status).toBe(200);
    expect(stats.fiveXx).toBe(0);
    expect(stats.badShape).toBe(0);
  }, 120_000);

  it(`sends ${RUNS.ingest} validly signed but malformed ingest batches: 400, nothing stored`, async () => {
    const rowsBefore = await gw.database.db('utterances').where({ conversation_id: callId }).count({ n: '*' }).first();
    const good = () => ({ type: 'utterance', utterance: utterance(1) }) as Record<string, any>;
    const mutate = fc.oneof(
      fc
        .constantFrom('seq', 'role', 'text', 'language', 'startedAt', 'endedAt', 'interrupted')
        .map((k) => (e: any) => void (e.utterance && delete e.utterance[k])),
      fc
        .tuple(
          fc.constantFrom('seq', 'role', 'text', 'language', 'startedAt', 'endedAt', 'interrupted', 'metrics'),
          fc.oneof(
            fc.array(fc.integer(), { maxLength: 2 }),
            fc.dictionary(text(5), fc.integer(), { maxKeys: 2 }),
            fc.constant(-1),
          ),
        )
        .map(
          ([k, v]) =>
            (e: any) =>
              void (e.utterance && (e.utterance[k] = v)),
        ),
      fc
        .constantFrom('2025-02-30T00:00:00Z', 'yesterday', '', '2025-01-01', '1e309', '-000001-01-01T00:00:00Z')
        .map((d) => (e: any) => void (e.utterance && (e.utterance.startedAt = d))),
      fc.constantFrom(-1, 1.5, 1e7, 2 ** 53 - 1).map((s) => (e: any) => void (e.utterance && (e.utterance.seq = s))),
      fc
        .constantFrom('robot', 'USER', '', 'system')
        .map((r) => (e: any) => void (e.utterance && (e.utterance.role = r))),
      huge.filter((h) => h.length > 10_000).map((h) => (e: any) => void (e.utterance && (e.utterance.text = h))),
      text(12)
        .filter((t) => !['utterance', 'interim', 'agent_state', 'call_started', 'call_ended'].includes(t))
        .map((t) => (e: any) => void (e.type = t)),
      fc.constant((e: any) => void delete e.utterance),
    );
    const batch = fc.oneof(
      fc.tuple(fc.array(mutate, { minLength: 1, maxLength: 3 }), fc.nat(3)).map(([ms, validBefore]) => {
        const bad = good();
        for (const m of ms) m(bad);
        return {
          cls: 'ingest_event',
          raw: JSON.stringify({ events: [...Array.from({ length: validBefore }, good), bad] }),
        };
      }),
      fc
        .constantFrom(
          '{}',
          '{"events":[]}',
          '{"events":{}}',
          '[]',
          'null',
          '{"events":null}',
          '{"events":"x"}',
          '{"events":[',
          '',
        )
        .map((raw) => ({ cls: 'ingest_shape', raw })),
      fc.integer({ min: 201, max: 260 }).map((n) => ({
        cls: 'ingest_shape',
        raw: JSON.stringify({
          events: Array.from({ length: n }, () => ({ type: 'agent_state', state: 'listening' })),
        }),
      })),
      fc.constantFrom('call_ended', 'call_started', 'agent_state', 'interim').chain((type) =>
        fc
          .record({
            at: fc.oneof(text(10), fc.integer()),
            reason: text(10),
            state: text(10),
            role: text(5),
            segmentId: fc.constantFrom('', 'x'.repeat(200)),
          })
          .map((f) => ({ cls: 'ingest_event', raw: JSON.stringify({ events: [{ type, ...f }] }) })),
      ),
    );
    await fc.assert(
      fc.asyncProperty(batch, async ({ cls, raw }) => {
        const r = await send('POST', `/internal/conversations/${callId}/events`, {
          raw,
          cookie: false,
          headers: {
            'x-parley-signature': signRequest(TEST_INGEST_SECRET, `/internal/conversations/${callId}/events`, raw),
          },
        });
        count(cls);
        expectRefusedCleanly(r, `ingest ${raw.slice(0, 120)}`);
        expect(r.status, raw.slice(0, 200)).toBe(400);
      }),
      { numRuns: RUNS.ingest },
    );
    const rowsAfter = await gw.database.db('utterances').where({ conversation_id: callId }).count({ n: '*' }).first();
    expect(Number(rowsAfter!.n)).toBe(Number(rowsBefore!.n));
    expect((await gw.database.db('conversations').where({ id: callId }).first()).status).toBe('created');
  }, 60_000);

  it(`sends ${RUNS.ws} malformed WebSocket client frames: an error message each, the socket stays usable`, async () => {
    const frame = fc.oneof(
      text(60).map((s) => ({ cls: 'ws_text', data: s as string | Buffer, binary: false })),
      anyJson.map((v) => ({ cls: 'ws_json', data: JSON.stringify(v) as string | Buffer, binary: false })),
      fc
        .oneof(text(10), fc.integer(), fc.constant(null))
        .filter((t) => t !== 'ping')
        .map((t) => ({ cls: 'ws_type', data: JSON.stringify({ type: t }) as string | Buffer, binary: false })),
      fc.constantFrom('PING', ' ping', 'pong', 'snapshot', 'utterance', 'call_ended', 'subscribe').map((t) => ({
        cls: 'ws_type',
        data: JSON.stringify({ type: t, conversationId: randomUUID() }) as string | Buffer,
        binary: false,
      })),
      fc.uint8Array({ minLength: 1, maxLength: 50 }).map((b) => ({
        cls: 'ws_bad_utf8',
        data: Buffer.concat([Buffer.from('{"type":"'), Buffer.from([0xff, 0xfe]), Buffer.from(b)]) as string | Buffer,
        binary: false,
      })),
      fc
        .uint8Array({ minLength: 0, maxLength: 100 })
        .map((b) => ({ cls: 'ws_binary', data: Buffer.from(b) as string | Buffer, binary: true })),
      fc.integer({ min: 100, max: MAX_CLIENT_FRAME_BYTES - 100 }).map((n) => ({
        cls: 'ws_big',
        data: JSON.stringify({ type: 'x', pad: 'y'.repeat(n) }) as string | Buffer,
        binary: false,
      })),
    );
    const frames = fc.sample(frame, RUNS.ws);
    const cookie = user.client.cookieHeader();
    // The socket allows 100 client frames per 10 s: use a fresh one every 60 frames.
    for (let i = 0; i < frames.length; i += 60) {
      const s = await openTranscript(gw.url, callId, { cookie });
      await s.next('snapshot');
      for (const f of frames.slice(i, i + 60)) {
        s.ws.send(f.data, { binary: f.binary });
        const reply = await s.next(undefined, 5000);
        stats.wsFrames++;
        count(f.cls);
        expect(reply.type, `${f.cls}: ${String(f.data).slice(0, 60)}`).toBe('error');
        expect(['invalid_json', 'validation_failed', 'unsupported_frame']).toContain((reply as { code?: string }).code);
      }
      s.ws.send(JSON.stringify({ type: 'ping' }));
      expect((await s.next()).type).toBe('pong');
      s.ws.close();
    }
  }, 60_000);

  // Regression (found by this suite, fixed in cdde5fe): U+0000 used to pass validation and reach
  // Postgres, which refuses it: account routes answered 500, and ingest 503 forever, so the agent's
  // ordered queue retried the same batch and every later utterance of the call was stuck.
  it('refuses U+0000 in text fields with 400, never 500 or 503', async () => {
    const prefs = (await user.client.get('/api/me/preferences')).body.preferences;
    const nul = 'a\u0000b';
    const answers = [
      (await user.client.put('/api/me/preferences', { ...prefs, systemPrompt: nul })).status,
      (await user.client.patch('/api/me', { displayName: nul })).status,
      (
        await user.client.post('/api/me/import', {
          format: 'parley-export',
          version: 1,
          preferences: { ...prefs, favoriteTopics: [nul] },
        })
      ).status,
      (
        await new TestClient(gw.url).post('/api/auth/register', {
          email: `nul-${Date.now()}@example.test`,
          password: 'violet-harbor-lantern-47',
          displayName: nul,
        })
      ).status,
      (await ingest(gw.url, callId, [{ type: 'utterance', utterance: utterance(5, { text: nul }) }])).status,
    ];
    expect(answers).toEqual([400, 400, 400, 400, 400]);
  });
});
