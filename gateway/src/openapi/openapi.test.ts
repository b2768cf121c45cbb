import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { API_DOC_PATH, renderApiMarkdown, renderCurrentApi } from './render';

const MINE = [
  'POST /api/auth/register',
  'POST /api/auth/login',
  'POST /api/auth/logout',
  'GET /api/auth/me',
  'PATCH /api/me',
  'POST /api/me/password',
  'GET /api/me/preferences',
  'PUT /api/me/preferences',
  'GET /api/voices',
  'GET /api/languages',
  'GET /api/providers',
  'GET /api/admin/users',
  'GET /api/admin/conversations',
  'GET /api/openapi.json',
];

type Layer = { route?: { path: unknown; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** "METHOD /path" of every route the running app's Express routers hold (feature routers mount at the root). */
function servedRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string')
        for (const m of Object.keys(layer.route.methods)) out.push(`${m.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out.sort();
}

describe('OpenAPI document', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it('serves an OpenAPI 3.1 document listing every account route with its schemas', async () => {
    const r = await new TestClient(gw.url).get('/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const ops = Object.entries(r.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) =>
      Object.keys(m).map((method) => `${method.toUpperCase()} ${p}`),
    );
    for (const op of MINE) expect(ops, op).toContain(op);
    const put = r.body.paths['/api/me/preferences'].put;
    const body = put.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['ttsVoice', 'language', 'favoriteTopics', 'systemPrompt']);
    expect(body.properties.systemPrompt.maxLength).toBe(2000);
    expect(body.additionalProperties).toBe(false);
    expect(put.security).toEqual([{ session: [] }]);
    // The envelope rule: preferences travel under their name.
    expect(put.responses['200'].content['application/json'].schema.required).toEqual(['preferences']);
    const login = r.body.paths['/api/auth/login'].post;
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '413', '429']));
    expect(login.responses['401'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ApiError',
    });
    // One list of error codes, in the document too.
    expect(r.body.components.schemas.ApiError.properties.error.properties.code.enum).toContain('wrong_password');
  });

  it('documents exactly the routes the gateway serves (the route contracts in protocol)', () => {
    const app = gw.server.listeners('request')[0] as Express;
    const documented = HTTP_ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    expect(new Set(documented).size).toBe(documented.length);
    // GET /metrics is Prometheus's text format behind a bearer token (gateway/src/metrics, docs/operations.md), not a JSON route contract.
    expect(servedRoutes(app).filter((r) => r !== 'GET /metrics')).toEqual(documented);
  });

  it('docs/api.md is the rendering of the current document (run gateway/src/openapi/render.ts)', () => {
    expect(readFileSync(API_DOC_PATH, 'utf8')).toBe(renderCurrentApi());
    const md = renderApiMarkdown({
      info: { description: 'd' },
      paths: { '/x': { get: { summary: 's', tags: ['t'], responses: { 200: { description: 'OK' } } } } },
    });
    expect(md).toContain('### `GET /x`');
  });
});
