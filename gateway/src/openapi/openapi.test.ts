import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registeredRoutes } from './registry';
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
    const login = r.body.paths['/api/auth/login'].post;
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '413', '429']));
    expect(login.responses['401'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ApiError',
    });
  });

  it('documents only routes the gateway really serves', async () => {
    const c = new TestClient(gw.url);
    const checked: string[] = [];
    for (const route of registeredRoutes()) {
      if (route.path.includes(':') || route.auth === 'admin') continue;
      const r = await c.request(route.method.toUpperCase(), route.path, route.method === 'get' ? undefined : {});
      const routeMissing = r.status === 404 && r.body?.error?.message === 'Route not found.';
      expect(routeMissing, `${route.method} ${route.path}`).toBe(false);
      checked.push(route.path);
    }
    expect(checked.length).toBeGreaterThanOrEqual(10);
  });

  it('docs/api.md is the rendering of the current document (run gateway/src/openapi/render.ts)', async () => {
    expect(readFileSync(API_DOC_PATH, 'utf8')).toBe(await renderCurrentApi());
    const md = renderApiMarkdown({
      info: { description: 'd' },
      paths: { '/x': { get: { summary: 's', tags: ['t'], responses: { 200: { description: 'OK' } } } } },
    });
    expect(md).toContain('### `GET /x`');
  });
});
