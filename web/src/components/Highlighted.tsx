/**
 * Renders a search snippet in which the server wrapped matches in <mark>…</mark>. The string is
 * split on those two literal markers and every piece is rendered as text, so anything else that
 * looks like HTML (an utterance that says "<img onerror=…>") shows up as the characters it is.
 */
export function splitMarks(snippet: string): Array<{ text: string; mark: boolean }> {
  const parts: Array<{ text: string; mark: boolean }> = [];
  let rest = snippet;
  while (rest.length) {
    const open = rest.indexOf('<mark>');
    if (open === -1) {
      parts.push({ text: rest, mark: false });
      break;
    }
    const close = rest.indexOf('</mark>', open + 6);
    if (close === -1) {
      parts.push({ text: rest, mark: false });
      break;
    }
    if (open > 0) parts.push({ text: rest.slice(0, open), mark: false });
    parts.push({ text: rest.slice(open + 6, close), mark: true });
    rest = rest.slice(close + 7);
  }
  return parts.filter((p) => p.text.length > 0);
}

/** Pieces from [start, end) ranges over plain text (the gateway's `highlights`). */
export function splitRanges(
  text: string,
  ranges: ReadonlyArray<readonly [number, number]>,
): Array<{ text: string; mark: boolean }> {
  const parts: Array<{ text: string; mark: boolean }> = [];
  let at = 0;
  for (const [s, e] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const start = Math.max(at, Math.min(s, text.length));
    const end = Math.max(start, Math.min(e, text.length));
    if (start > at) parts.push({ text: text.slice(at, start), mark: false });
    if (end > start) parts.push({ text: text.slice(start, end), mark: true });
    at = end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), mark: false });
  return parts;
}

/** With `highlights` (ranges over plain text) those are used; otherwise <mark> markers in the text. */
export function Highlighted({
  text,
  highlights,
}: {
  text: string;
  highlights?: ReadonlyArray<readonly [number, number]> | undefined;
}) {
  const parts = highlights ? splitRanges(text, highlights) : splitMarks(text);
  return <>{parts.map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}</>;
}
