import type { Request } from 'express';
import type { PendingFlow } from './service';

declare module 'express-session' {
  interface SessionData {
    /** OpenID Connect flows this browser started and has not finished (newest last). */
    oidcFlows?: PendingFlow[];
  }
}

/** A few tabs may sign in at once; older flows are dropped. */
const MAX_FLOWS = 5;
/** Long enough to type a password and pass MFA at the provider. */
export const FLOW_TTL_MS = 10 * 60_000;

const save = (req: Request) =>
  new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));

/** Keeps the flow in this browser's session (saved before the redirect leaves). */
export async function rememberFlow(req: Request, flow: PendingFlow): Promise<void> {
  const live = (req.session.oidcFlows ?? []).filter((f) => Date.now() - f.createdAt < FLOW_TTL_MS);
  req.session.oidcFlows = [...live, flow].slice(-MAX_FLOWS);
  await save(req);
}

/**
 * Takes the flow whose state the callback carries out of the session, for good: a second callback
 * with the same state (a replayed code, a double click) finds nothing. Saved before the code is
 * exchanged. Undefined for a missing, unknown, expired or other provider's state.
 */
export async function takeFlow(req: Request, provider: string, state: unknown): Promise<PendingFlow | undefined> {
  const flows = req.session.oidcFlows;
  if (typeof state !== 'string' || !state || !flows?.length) return undefined;
  const flow = flows.find((f) => f.state === state);
  if (!flow) return undefined;
  req.session.oidcFlows = flows.filter((f) => f !== flow);
  await save(req);
  if (flow.provider !== provider || Date.now() - flow.createdAt >= FLOW_TTL_MS) return undefined;
  return flow;
}

/**
 * A post-sign-in destination must be a path on this site: `/history?q=x` passes; absolute URLs,
 * protocol-relative `//host`, `/\host`, control characters and anything that resolves to another
 * origin do not (null, so the default applies).
 */
export function sameOriginPath(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 512 || !raw.startsWith('/')) return null;
  if (raw.startsWith('//') || raw.includes('\\') || [...raw].some((ch) => ch < ' ' || ch === '\u007f')) return null;
  const base = 'http://parley.invalid';
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return null;
  }
  if (url.origin !== base || url.pathname.startsWith('/api/')) return null;
  return url.pathname + url.search + url.hash;
}
