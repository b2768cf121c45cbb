import type { Request, Response } from 'express';
import { SESSION_COOKIE } from '../sessions/session';
import { coarseIp, describeDevice } from '../sessions/device';
import type { UserSessions } from '../sessions/user-sessions';
import { errors } from '../http/errors';

/** Every sign-in passes here (session or pending second factor): a disabled account gets none. */
function refuseDisabled(user: { disabledAt?: Date | null }) {
  if (user.disabledAt) throw errors.accountDisabled();
}

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
  user: { id: string; sessionEpoch: number; disabledAt?: Date | null },
  createdAt = Date.now(),
) {
  refuseDisabled(user);
  const guestConversationIds = req.session.guestConversationIds;
  const kept = { device: req.session.device, ipPrefix: req.session.ipPrefix };
  const renewing = req.session.userId === user.id;
  await promisify((cb) => req.session.regenerate(cb));
  req.session.userId = user.id;
  req.session.epoch = user.sessionEpoch;
  req.session.createdAt = createdAt;
  req.session.lastSeenAt = Date.now();
  // A renewed session (password change, log out elsewhere) stays the same device in the list.
  req.session.device = renewing && kept.device ? kept.device : describeDevice(req.get('user-agent'));
  req.session.ipPrefix = renewing && kept.ipPrefix !== undefined ? kept.ipPrefix : coarseIp(req.ip);
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

/** How long a password-accepted (or provider-accepted) sign-in waits for its second factor. */
export const PENDING_SECOND_FACTOR_MS = 5 * 60_000;

/**
 * First factor accepted, second awaited: a fresh session id holding only the pending step (no
 * userId, so loadUser sees no user: it is not a session). Answers when it ends.
 */
export async function startPendingSecondFactor(
  req: Request,
  user: { id: string; sessionEpoch: number; disabledAt?: Date | null },
) {
  refuseDisabled(user);
  const expiresAt = Date.now() + PENDING_SECOND_FACTOR_MS;
  const guestConversationIds = req.session.guestConversationIds;
  await promisify((cb) => req.session.regenerate(cb));
  if (guestConversationIds?.length) req.session.guestConversationIds = guestConversationIds;
  req.session.pendingSecondFactor = { userId: user.id, epoch: user.sessionEpoch, expiresAt };
  await promisify((cb) => req.session.save(cb));
  return new Date(expiresAt);
}
