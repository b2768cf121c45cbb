import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '@parley/protocol';
import { buildOpenApiDocument } from './document';

/**
 * Renders the OpenAPI document as docs/api.md. Run after changing a route contract:
 *   node --import tsx gateway/src/openapi/render.ts
 * (openapi.test.ts fails while docs/api.md differs from what this renders.) Hand-written: a
 * Markdown page in our own layout (field tables, codes per status) is a few lines of code, and
 * the OpenAPI renderers we looked at produce HTML sites, not a reviewable Markdown file.
 */

type Schema = Record<string, any>;

function constraints(s: Schema): string {
  const c: string[] = [];
  if (s.format) c.push(s.format);
  if (s.minLength !== undefined && s.maxLength !== undefined) c.push(`${s.minLength}–${s.maxLength} chars`);
  else if (s.maxLength !== undefined) c.push(`≤ ${s.maxLength} chars`);
  else if (s.minLength !== undefined && s.minLength > 0) c.push(`≥ ${s.minLength} chars`);
  const bounded = (n: unknown) => typeof n === 'number' && Math.abs(n) < Number.MAX_SAFE_INTEGER;
  if (bounded(s.minimum)) c.push(`≥ ${s.minimum}`);
  if (bounded(s.maximum)) c.push(`≤ ${s.maximum}`);
  if (s.maxItems !== undefined) c.push(`≤ ${s.maxItems} items`);
  if (s.default !== undefined) c.push(`default ${JSON.stringify(s.default)}`);
  return c.join(', ');
}

export function typeOf(s: Schema | undefined): string {
  if (!s || Object.keys(s).length === 0) return 'any';
  if (s.$ref) return String(s.$ref).split('/').pop()!;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v: unknown) => JSON.stringify(v)).join(' \\| ');
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map(typeOf).join(' \\| ');
  if (s.type === 'array' && s.prefixItems) return `[${s.prefixItems.map(typeOf).join(', ')}]`;
  if (s.type === 'array') return `${typeOf(s.items)}[]`;
  if (s.type === 'object' && s.properties) {
    const req = new Set<string>(s.required ?? []);
    return `{ ${Object.entries(s.properties as Record<string, Schema>)
      .map(([k, v]) => `${k}${req.has(k) ? '' : '?'}: ${typeOf(v)}`)
      .join(', ')} }`;
  }
  if (s.type === 'object') return 'object';
  const base = Array.isArray(s.type) ? s.type.join(' \\| ') : String(s.type ?? 'any');
  const c = constraints(s);
  return c ? `${base} (${c})` : base;
}

function fieldTable(s: Schema): string[] {
  if (s.type !== 'object' || !s.properties)
    return [`\`${typeOf(s)}\`${s.description ? ` — ${s.description}` : ''}`, ''];
  const req = new Set<string>(s.required ?? []);
  const lines = ['| field | type | required |', '| --- | --- | --- |'];
  for (const [k, v] of Object.entries(s.properties as Record<string, Schema>))
    lines.push(
      `| \`${k}\` | ${typeOf(v)}${v.description ? ` — ${v.description}` : ''} | ${req.has(k) ? 'yes' : 'no'} |`,
    );
  return [...lines, ''];
}

const AUTH_TEXT: Record<string, string> = {
  session: 'session cookie',
  signature: 'HMAC signature (`X-Parley-Signature`)',
  livekitWebhook: "LiveKit's webhook JWT (`Authorization`)",
};

export function renderApiMarkdown(doc: Schema): string {
  const out: string[] = [
    '# Parley gateway API',
    '',
    '<!-- Generated from the route contracts in protocol/src/http by `node --import tsx gateway/src/openapi/render.ts`; do not edit by hand. -->',
    '',
    `${doc.info.description}`,
    '',
    'The same document is served as OpenAPI 3.1 at `GET /api/openapi.json`.',
    '',
    'Success bodies follow one envelope rule (protocol/README.md): every JSON body is an object, never a bare',
    'array or value. A resource that more than one route returns (`user`, `preferences`, `conversation`) travels under',
    'its name; a list travels under its plural name with its paging or source fields beside it (`conversations` +',
    '`nextCursor`, `users` + `total`, `voices` + `provider` + `source`); an answer that belongs to one route only',
    '(the call grant, a call status, usage figures, the provider report, the retention setting) is the body itself.',
    '',
    'Error body (every 4xx/5xx): `{ "error": { "code": string, "message": string, "details"?: any } }`.',
    'Clients branch on `code`, never on `message`; `details` of `validation_failed` / `weak_password` is a list of `{ path, message }`.',
    '',
    '| code | meaning |',
    '| --- | --- |',
    ...Object.entries(ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
    '',
  ];
  const byTag = new Map<string, Array<[string, string, Schema]>>();
  for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, Schema>>))
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push([method, p, op]);
    }
  for (const tag of [...byTag.keys()].sort()) {
    out.push(`## ${tag}`, '');
    for (const [method, p, op] of byTag.get(tag)!) {
      out.push(`### \`${method.toUpperCase()} ${p}\``, '', op.summary, '');
      const auth = op.security?.[0] ? Object.keys(op.security[0])[0]! : undefined;
      out.push(`Auth: ${auth ? (AUTH_TEXT[auth] ?? auth) : 'none'}`, '');
      const query = (op.parameters ?? []).filter((x: Schema) => x.in === 'query');
      if (query.length) {
        out.push('Query:', '', '| name | type | required |', '| --- | --- | --- |');
        for (const q of query) out.push(`| \`${q.name}\` | ${typeOf(q.schema)} | ${q.required ? 'yes' : 'no'} |`);
        out.push('');
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) out.push('Request body:', '', ...fieldTable(body));
      out.push('Responses:', '');
      for (const [status, r] of Object.entries(op.responses as Record<string, Schema>)) {
        const schema = r.content?.['application/json']?.schema;
        const shown = schema && !schema.$ref ? ` — \`${typeOf(schema)}\`` : '';
        out.push(`- \`${status}\` ${r.description}${shown}`);
      }
      out.push('');
    }
  }
  const webhooks = Object.entries((doc.webhooks ?? {}) as Record<string, Record<string, Schema>>);
  if (webhooks.length) {
    out.push(
      '## Outgoing webhook events',
      '',
      'What Parley POSTs to an endpoint registered with `POST /api/webhooks`, signed the Standard Webhooks way (headers below; docs/integrations.md shows a receiver).',
      '',
    );
    for (const [name, ops] of webhooks)
      for (const op of Object.values(ops)) {
        out.push(`### \`${name}\``, '', op.summary, '');
        const headers = (op.parameters ?? []).filter((x: Schema) => x.in === 'header');
        if (headers.length) {
          out.push('Headers:', '', '| name | meaning |', '| --- | --- |');
          for (const h of headers) out.push(`| \`${h.name}\` | ${h.schema?.description ?? ''} |`);
          out.push('');
        }
        const body = op.requestBody?.content?.['application/json']?.schema;
        if (body) out.push('Body:', '', ...fieldTable(body));
      }
  }
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Record<string, Schema>).filter(
    ([name]) => name !== 'ApiError',
  );
  if (schemas.length) {
    out.push('## Schemas', '', 'Shared by several routes, referenced above by name.', '');
    for (const [name, s] of schemas) out.push(`### ${name}`, '', ...fieldTable(s));
  }
  return (
    out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}

export const API_DOC_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/api.md');

export const renderCurrentApi = (): string => renderApiMarkdown(buildOpenApiDocument());

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  writeFileSync(API_DOC_PATH, renderCurrentApi());
  console.log(`wrote ${path.relative(process.cwd(), API_DOC_PATH)}`);
}
