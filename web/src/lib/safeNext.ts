/** Only same-site paths are accepted as a post-login destination (no open redirects). */
export function safeNext(raw: string | null, fallback = '/call'): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return fallback;
  return raw;
}
