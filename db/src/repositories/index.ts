import type { Database } from '../connect';
import { pingDatabase } from '../connect';
import { AccountRepository } from './account';
import { AccountTokensRepository } from './account-tokens';
import { ApiTokensRepository } from './api-tokens';
import { AuditRepository } from './audit';
import { CallUsageRepository } from './call-usage';
import { ConversationsRepository } from './conversations';
import { HistoryRepository } from './history';
import { IdentitiesRepository } from './identities';
import { MemoryRepository } from './memory';
import { PasskeysRepository } from './passkeys';
import { PreferencesRepository } from './preferences';
import { RetentionRepository } from './retention';
import { SharesRepository } from './shares';
import { TwoFactorRepository } from './two-factor';
import { UsageRepository } from './usage';
import { UsersRepository } from './users';
import { UtterancesRepository } from './utterances';
import { WebhooksRepository } from './webhooks';

/**
 * Every repository, one per aggregate, over one database handle. The gateway builds this once in
 * its composition root (server.ts) and hands it to features as `ctx.repos`; nothing outside db/
 * writes a query.
 */
export interface Repositories {
  users: UsersRepository;
  identities: IdentitiesRepository;
  preferences: PreferencesRepository;
  audit: AuditRepository;
  conversations: ConversationsRepository;
  utterances: UtterancesRepository;
  history: HistoryRepository;
  usage: UsageRepository;
  retention: RetentionRepository;
  account: AccountRepository;
  shares: SharesRepository;
  memory: MemoryRepository;
  /** Emailed single-use tokens: email verification, password reset. */
  accountTokens: AccountTokensRepository;
  /** TOTP second factor and backup codes. */
  twoFactor: TwoFactorRepository;
  apiTokens: ApiTokensRepository;
  /** Outgoing webhooks: endpoints and the durable delivery queue (its delivery log). */
  webhooks: WebhooksRepository;
  /** Provider usage and estimated cost per call (call_usage). */
  callUsage: CallUsageRepository;
  /** Passkeys (WebAuthn credentials) and their single-use ceremony challenges. */
  passkeys: PasskeysRepository;
  /** Runs `work` with repositories bound to one transaction: all of its writes happen, or none. */
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Cheap liveness probe (readiness). */
  ping(timeoutMs?: number): Promise<void>;
}

export function createRepositories(db: Database): Repositories {
  return {
    users: new UsersRepository(db),
    identities: new IdentitiesRepository(db),
    preferences: new PreferencesRepository(db),
    audit: new AuditRepository(db),
    conversations: new ConversationsRepository(db),
    utterances: new UtterancesRepository(db),
    history: new HistoryRepository(db),
    usage: new UsageRepository(db),
    retention: new RetentionRepository(db),
    account: new AccountRepository(db),
    shares: new SharesRepository(db),
    memory: new MemoryRepository(db),
    accountTokens: new AccountTokensRepository(db),
    twoFactor: new TwoFactorRepository(db),
    apiTokens: new ApiTokensRepository(db),
    webhooks: new WebhooksRepository(db),
    callUsage: new CallUsageRepository(db),
    passkeys: new PasskeysRepository(db),
    transaction: (work) => db.transaction((trx) => work(createRepositories(trx))),
    ping: (timeoutMs) => pingDatabase(db, timeoutMs),
  };
}
