export * from './connect';
export { migrationSource } from './migrations/index';
export * from './repositories/conversations';
export * from './repositories/utterances';
export * from './repositories/users';
export * from './repositories/preferences';
export * from './repositories/audit';
export * from './repositories/identities';
export * as historyRepo from './repositories/history';
