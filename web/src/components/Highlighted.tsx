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

export function Highlighted({ text }: { text: string }) {
  return (
    <>
      {splitMarks(text).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </>
  );
}
