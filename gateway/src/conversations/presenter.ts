import {
  HIGHLIGHT_START,
  HIGHLIGHT_STOP,
  type ConversationRow,
  type ConversationSummaryRow as SummaryRow,
  type UtteranceRecord,
} from '@parley/db';
import type { Conversation, ConversationSummary, StoredUtterance } from '@parley/protocol';

const TITLE_FALLBACK_CHARS = 60;
const SNIPPET_CHARS = 160;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Trims to `max` characters on a word boundary when possible, adding an ellipsis. */
export function clip(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export const fallbackTitle = (firstUserText: string | null) =>
  firstUserText && firstUserText.trim() ? clip(firstUserText, TITLE_FALLBACK_CHARS) : null;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

export interface Snippet {
  /** Plain text; never markup. */
  snippet: string | null;
  /** [start, end) offsets (UTF-16 code units, as JS strings index) of matched words in `snippet`. */
  highlights: Array<[number, number]>;
  /** `snippet` HTML-escaped, with each highlight wrapped in <mark>…</mark>: safe to insert as HTML. */
  snippetHtml: string | null;
}

/** Turns a ts_headline result (private-use marks around matches) into text + ranges + safe HTML. */
export function snippetFromHeadline(headline: string): Snippet {
  let text = '';
  const highlights: Array<[number, number]> = [];
  let open = -1;
  for (const ch of headline.replace(/\s+/g, ' ').trim()) {
    if (ch === HIGHLIGHT_START) open = text.length;
    else if (ch === HIGHLIGHT_STOP) {
      if (open >= 0 && text.length > open) highlights.push([open, text.length]);
      open = -1;
    } else text += ch;
  }
  let html = '';
  let at = 0;
  for (const [s, e] of highlights) {
    html += `${escapeHtml(text.slice(at, s))}<mark>${escapeHtml(text.slice(s, e))}</mark>`;
    at = e;
  }
  html += escapeHtml(text.slice(at));
  return { snippet: text, highlights, snippetHtml: html };
}

function plainSnippet(text: string | null): Snippet {
  if (!text) return { snippet: null, highlights: [], snippetHtml: null };
  const s = clip(text, SNIPPET_CHARS);
  return { snippet: s, highlights: [], snippetHtml: escapeHtml(s) };
}

export function presentSummary(r: SummaryRow): ConversationSummary {
  return {
    id: r.id,
    title: r.title ?? fallbackTitle(r.firstUserText),
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    endedAt: iso(r.endedAt),
    durationMs: r.durationMs,
    turnCount: r.turnCount,
    ...(r.headline !== null ? snippetFromHeadline(r.headline) : plainSnippet(r.firstUserText)),
  };
}

export function presentConversation(c: ConversationRow, firstUserText: string | null): Conversation {
  return {
    id: c.id,
    title: c.title ?? fallbackTitle(firstUserText),
    language: c.language,
    status: c.status,
    createdAt: c.createdAt.toISOString(),
    startedAt: iso(c.startedAt),
    endedAt: iso(c.endedAt),
    durationMs: c.durationMs,
    endReason: c.endReason,
    turnCount: c.turnCount,
  };
}

export function presentUtterance(u: UtteranceRecord): StoredUtterance {
  return {
    seq: u.seq,
    role: u.role,
    text: u.text,
    language: u.language,
    startedAt: u.startedAt,
    endedAt: u.endedAt,
    interrupted: u.interrupted,
    metrics: u.metrics,
    typed: u.typed ?? false,
  };
}
