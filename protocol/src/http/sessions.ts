import { z } from 'zod';
import { IsoDateTime } from './common';
import { defineRoute } from './route';

/** One signed-in session of the account, as its owner sees it (never the session id itself). */
export const SessionInfo = z
  .object({
    /** A public handle (a hash of the session id): revoking needs it, the cookie cannot be rebuilt from it. */
    id: z.string(),
    current: z.boolean(),
    createdAt: IsoDateTime,
    lastUsedAt: IsoDateTime,
    /** e.g. "Firefox on Linux", from the User-Agent. */
    device: z.string(),
    /** The IP's coarse form: IPv4 /24 ("203.0.113.x"), IPv6 /48. */
    ip: z.string().nullable(),
  })
  .meta({ id: 'SessionInfo' });
export type SessionInfo = z.infer<typeof SessionInfo>;
export const SessionList = z.object({ sessions: z.array(SessionInfo) });

export const SessionIdParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{22}$/) });

/** The signed-in account's sessions and devices. */
export const sessionsRoutes = {
  list: defineRoute({
    method: 'get',
    path: '/api/me/sessions',
    summary: 'Your signed-in sessions (newest use first; the current one marked).',
    tag: 'sessions',
    auth: 'user',
    response: SessionList,
  }),
  revoke: defineRoute({
    method: 'delete',
    path: '/api/me/sessions/:id',
    summary: 'Sign one of your sessions out (another account’s session id is an unknown id: 404).',
    tag: 'sessions',
    auth: 'user',
    params: SessionIdParams,
  }),
  revokeOthers: defineRoute({
    method: 'post',
    path: '/api/me/sessions/revoke-others',
    summary: 'Log out everywhere else: every other session of the account ends; this one continues.',
    tag: 'sessions',
    auth: 'user',
  }),
};
