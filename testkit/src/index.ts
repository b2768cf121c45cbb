export * from './db';
export * from './gateway';
export * from './http-client';
export * from './log-capture';
export { descendantPids, isAlive } from '@parley/tools';
export * from './agent-worker';
export * from './speech';
export * from './fakes';
