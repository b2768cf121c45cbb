export { createDatabase, isEmbedded, isUniqueViolation, migrateLatest, migrateRollbackAll } from './connect';
export type { Database, DatabaseOptions } from './connect';
export { coarseIp, isCoarseIp } from './ip';
export { migrationSource } from './migrations/index';
export { createRepositories, type Repositories } from './repositories/index';
export { AccountRepository, type UserDataExport } from './repositories/account';
export { AccountTokensRepository, type AccountToken, type AccountTokenPurpose } from './repositories/account-tokens';
export { ApiTokensRepository, type ApiTokenRecord } from './repositories/api-tokens';
export {
  AuditRepository,
  auditPseudonym,
  type AdminAuditEvent,
  type AuditEvent,
  type AuditFilter,
  type AuditType,
  type NewAuditEvent,
} from './repositories/audit';
export {
  CallUsageRepository,
  type CallUsageLine,
  type ConversationUsage,
  type UsageTotals,
} from './repositories/call-usage';
export { ConversationsRepository, type ConversationRow, type ConversationStatus } from './repositories/conversations';
export {
  HIGHLIGHT_START,
  HIGHLIGHT_STOP,
  HistoryRepository,
  type ConversationSummaryRow,
  type KeysetPosition,
  type ListConversationsQuery,
} from './repositories/history';
export { IdentitiesRepository, type Identity, type ProviderAccount } from './repositories/identities';
export { MemoryRepository, type RecalledUtterance, type StoredSummary } from './repositories/memory';
export { PreferencesRepository, type PreferencesRecord } from './repositories/preferences';
export { RetentionRepository } from './repositories/retention';
export { SharesRepository, type ListedShare, type Share } from './repositories/shares';
export { TwoFactorRepository, type TotpFactor } from './repositories/two-factor';
export { PasskeysRepository, type Passkey, type ChallengePurpose } from './repositories/passkeys';
export { UsageRepository, type UsageRow } from './repositories/usage';
export { normalizeEmail, UsersRepository, type AdminListedUser, type User, type UserRole } from './repositories/users';
export { UtterancesRepository, type UtteranceMetrics, type UtteranceRecord } from './repositories/utterances';
export {
  WebhooksRepository,
  type ClaimedDelivery,
  type DeliveryStatus,
  type NewDelivery,
  type WebhookDeliveryRecord,
  type WebhookEndpointRecord,
} from './repositories/webhooks';
export * from './backup/index';
