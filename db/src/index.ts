export * from './connect';
export { migrationSource } from './migrations/index';
export * from './repositories/conversations';
export * from './repositories/utterances';
