import type { Request, Response } from 'express';
import { SESSION_COOKIE } from '../sessions/session';
import type { UserSessions } from '../sessions/user-sessions';

const promisify = (fn: (cb: (err?: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

/**
 * Signs the user in on a brand-new session id (defeats session fixation): the old session is
 * destroyed server-side, the new one is stamped with the user's epoch and its creation time
 * (absolute expiry), and saved before the response goes out. Guest conversations carry over. The
 * account's session index learns the new id (so deleting the account ends this session too).
 */
export async function startUserSession(
  sessions: UserSessions,
  req: Request,
  user: { id: string; sessionEpoch: number },
  createdAt = Date.now(),
) {
  const guestConversationIds = req.session.guestConversationIds;
  await promisify((cb) => req.session.regenerate(cb));
  req.session.userId = user.id;
  req.session.epoch = user.sessionEpoch;
  req.session.createdAt = createdAt;
  if (guestConversationIds?.length) req.session.guestConversationIds = guestConversationIds;
  await promisify((cb) => req.session.save(cb));
  await sessions.add(user.id, req.sessionID);
}

/** Destroys the session server-side and tells the browser to drop the cookie. */
export async function endUserSession(req: Request, res: Response) {
  if (req.session) await promisify((cb) => req.session.destroy(cb));
  res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: req.secure });
}

/**
 * After a password write moved the user's epoch on, every other session is void; this one continues
 * on a fresh id with its original creation time (its absolute expiry does not restart).
 */
export function keepSessionAfterPasswordWrite(
  sessions: UserSessions,
  req: Request,
  user: { id: string; sessionEpoch: number },
) {
  return startUserSession(sessions, req, user, req.session.createdAt ?? Date.now());
}
