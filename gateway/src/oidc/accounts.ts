import type { Request } from 'express';
import { isUniqueViolation, type Identity, type User } from '@parley/db';
import type { IdentityView } from '@parley/protocol';
import type { AppContext } from '../context';
import type { OidcProviderConfig } from './config';
import { OidcFailure, type PendingFlow, type VerifiedAccount } from './service';

/**
 * Sign-in through a provider: the user linked to that provider account, else a new account. An
 * existing account is never matched by email (verified or not): someone who already has a password
 * account signs in with it and links the provider from Settings.
 */
export async function completeLogin(
  ctx: AppContext,
  account: VerifiedAccount,
): Promise<{ user: User; created: boolean }> {
  const known = await signInKnown(ctx, account);
  if (known) return { user: known, created: false };
  if (!account.email) throw new OidcFailure('oidc_email_missing', 'no email claim');
  try {
    const user = await ctx.repos.identities.createUser({
      displayName: account.displayName,
      account: { ...account, email: account.email },
    });
    return { user, created: true };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // The same provider account signed up in another tab a moment ago: sign in to that one.
    const raced = await signInKnown(ctx, account);
    if (raced) return { user: raced, created: false };
    throw new OidcFailure('oidc_account_exists', 'email belongs to another account');
  }
}

async function signInKnown(ctx: AppContext, account: VerifiedAccount): Promise<User | undefined> {
  const identity = await ctx.repos.identities.find(account.provider, account.subject);
  if (!identity) return undefined;
  const user = await ctx.repos.users.findById(identity.userId);
  if (!user) return undefined;
  await ctx.repos.identities.touch(identity.id, account);
  return user;
}

/**
 * Links the provider account to the user who started the link, in that user's session only. A
 * provider account already linked to someone else stays theirs.
 */
export async function completeLink(
  ctx: AppContext,
  req: Request,
  flow: PendingFlow,
  account: VerifiedAccount,
): Promise<void> {
  const me = req.user;
  if (!me || me.id !== flow.userId) throw new OidcFailure('oidc_link_session_changed', 'session user changed');
  const existing = await ctx.repos.identities.find(account.provider, account.subject);
  if (existing && existing.userId !== me.id)
    throw new OidcFailure('oidc_identity_in_use', 'identity linked to another user');
  if (existing) {
    await ctx.repos.identities.touch(existing.id, account);
    return;
  }
  try {
    await ctx.repos.identities.link(me.id, account);
  } catch (err) {
    if (isUniqueViolation(err)) throw new OidcFailure('oidc_identity_in_use', 'identity linked meanwhile');
    throw err;
  }
  await ctx.repos.audit.record({
    userId: me.id,
    type: 'identity_linked',
    ip: req.ip,
    details: { provider: account.provider },
  });
  req.log.info({ userId: me.id, provider: account.provider }, 'identity linked');
}

export function presentIdentity(i: Identity, p: OidcProviderConfig | undefined): IdentityView {
  return {
    id: i.id,
    provider: i.provider,
    providerName: p?.displayName ?? i.provider,
    email: i.email,
    linkedAt: i.createdAt.toISOString(),
    lastUsedAt: i.lastUsedAt?.toISOString() ?? null,
  };
}
