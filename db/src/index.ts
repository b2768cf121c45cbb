export * from './connect';
export { migrationSource } from './migrations/index';
