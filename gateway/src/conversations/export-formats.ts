import { z } from 'zod';
import type { Conversation, ExportFormat, StoredUtterance } from '@parley/protocol';

/**
 * One conversation as a downloadable file, and the parsers that read each format back. Every
 * format keeps each turn's role, text, typed and interrupted flags exactly (JSON keeps everything), so
 * an export is a faithful copy, not a lossy printout.
 */

export interface ExportedConversation {
  conversation: Conversation;
  utterances: StoredUtterance[];
}

export interface ParsedTurn {
  role: 'user' | 'agent';
  text: string;
  /** Typed in the call's text box instead of said. */
  typed: boolean;
  interrupted: boolean;
}

const LABEL = { user: 'You', agent: 'Parley' } as const;
const ROLE_OF_LABEL: Record<string, 'user' | 'agent'> = { You: 'user', Parley: 'agent' };

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};

export function exportFilename(c: Conversation, format: ExportFormat): string {
  const day = (c.startedAt ?? c.createdAt).slice(0, 10);
  return `parley-${day}-${c.id.slice(0, 8)}.${format}`;
}

/** Offset of a turn from the start of the call: m:ss or h:mm:ss. */
function offset(startIso: string, atIso: string): string {
  const total = Math.max(0, Math.floor((Date.parse(atIso) - Date.parse(startIso)) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function duration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const callStart = (e: ExportedConversation) =>
  e.conversation.startedAt ?? e.utterances[0]?.startedAt ?? e.conversation.createdAt;

// ---- JSON -------------------------------------------------------------------------------------

export const CONVERSATION_EXPORT_FORMAT = 'parley-conversation';

export function toJson(e: ExportedConversation, exportedAt = new Date()): string {
  return JSON.stringify(
    { format: CONVERSATION_EXPORT_FORMAT, version: 1, exportedAt: exportedAt.toISOString(), ...e },
    null,
    2,
  );
}

const JsonExport = z.object({
  format: z.literal(CONVERSATION_EXPORT_FORMAT),
  version: z.literal(1),
  conversation: z.object({ id: z.string() }).passthrough(),
  utterances: z.array(
    z
      .object({
        seq: z.number(),
        role: z.enum(['user', 'agent']),
        text: z.string(),
        interrupted: z.boolean(),
        typed: z.boolean().optional(),
      })
      .passthrough(),
  ),
});

export function parseJson(text: string): ParsedTurn[] {
  const parsed = JsonExport.parse(JSON.parse(text));
  return parsed.utterances.map((u) => ({
    role: u.role,
    text: u.text,
    typed: u.typed ?? false,
    interrupted: u.interrupted,
  }));
}

// ---- Markdown ---------------------------------------------------------------------------------

// Backslash-escape everything Markdown could interpret inside a quote (and the backslash itself),
// so the text renders literally and unescaping restores it byte for byte.
const MD_SPECIAL = /[\\`*_[\]<>#|~]/g;
const mdEscape = (s: string) => s.replace(MD_SPECIAL, (c) => `\\${c}`);
const mdUnescape = (s: string) => s.replace(/\\([\\`*_[\]<>#|~])/g, '$1');

export function toMarkdown(e: ExportedConversation): string {
  const c = e.conversation;
  const start = callStart(e);
  const lines = [
    `# ${mdEscape(oneLine(c.title ?? 'Conversation'))}`,
    '',
    `- Conversation: ${c.id}`,
    `- Started: ${c.startedAt ?? '—'}`,
    `- Duration: ${duration(c.durationMs)}`,
    `- Turns: ${e.utterances.length}`,
    '',
    '---',
  ];
  for (const u of e.utterances) {
    const flags = `${u.typed ? ' · typed' : ''}${u.interrupted ? ' · interrupted' : ''}`;
    lines.push('', `### ${LABEL[u.role]} · ${offset(start, u.startedAt)}${flags}`, '');
    for (const l of u.text.split('\n')) lines.push(l === '' ? '>' : `> ${mdEscape(l)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function parseMarkdown(text: string): ParsedTurn[] {
  const turns: ParsedTurn[] = [];
  let current: (ParsedTurn & { lines: string[] }) | null = null;
  const flush = () => {
    if (current)
      turns.push({
        role: current.role,
        text: current.lines.join('\n'),
        typed: current.typed,
        interrupted: current.interrupted,
      });
    current = null;
  };
  for (const line of text.split('\n')) {
    const head = /^### (You|Parley) · [\d:]+( · typed)?( · interrupted)?$/.exec(line);
    if (head) {
      flush();
      current = { role: ROLE_OF_LABEL[head[1]!]!, text: '', typed: !!head[2], interrupted: !!head[3], lines: [] };
    } else if (current && (line === '>' || line.startsWith('> '))) {
      current.lines.push(mdUnescape(line.slice(2)));
    }
  }
  flush();
  return turns;
}

// ---- Plain text -------------------------------------------------------------------------------

export function toText(e: ExportedConversation): string {
  const c = e.conversation;
  const start = callStart(e);
  const lines = [
    oneLine(c.title ?? 'Conversation'),
    `Conversation ${c.id} · started ${c.startedAt ?? '—'} · ${duration(c.durationMs)} · ${e.utterances.length} turns`,
  ];
  for (const u of e.utterances) {
    const [first = '', ...rest] = u.text.split('\n');
    lines.push(
      '',
      `[${offset(start, u.startedAt)}] ${LABEL[u.role]}${u.typed ? ' (typed)' : ''}${u.interrupted ? ' (interrupted)' : ''}: ${first}`,
    );
    for (const l of rest) lines.push(`  ${l}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads turns back: a turn line, then continuation lines indented by two spaces; header skipped. */
export function parseText(text: string): ParsedTurn[] {
  const lines = text.split('\n');
  const body = lines.indexOf('');
  const turns: ParsedTurn[] = [];
  let current: ParsedTurn | null = null;
  for (const line of lines.slice(body < 0 ? lines.length : body)) {
    const head = /^\[[\d:]+\] (You|Parley)( \(typed\))?( \(interrupted\))?: (.*)$/.exec(line);
    if (head) {
      if (current) turns.push(current);
      current = { role: ROLE_OF_LABEL[head[1]!]!, typed: !!head[2], interrupted: !!head[3], text: head[4]! };
    } else if (current && line.startsWith('  ')) {
      current.text += `\n${line.slice(2)}`;
    }
  }
  if (current) turns.push(current);
  return turns;
}

export const renderers: Record<ExportFormat, (e: ExportedConversation) => string> = {
  json: (e) => toJson(e),
  md: toMarkdown,
  txt: toText,
};

export const parsers: Record<ExportFormat, (text: string) => ParsedTurn[]> = {
  json: parseJson,
  md: parseMarkdown,
  txt: parseText,
};
