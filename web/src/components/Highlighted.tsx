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

/**
 * A search snippet: plain text with the gateway's `highlights` ranges wrapped in <mark>. Every
 * piece is rendered as text, so anything that looks like HTML (an utterance that says
 * "<img onerror=…>") shows up as the characters it is.
 */
export function Highlighted({
  text,
  highlights,
}: {
  text: string;
  highlights: ReadonlyArray<readonly [number, number]>;
}) {
  const parts = splitRanges(text, highlights);
  return <>{parts.map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}</>;
}
