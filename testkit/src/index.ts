export * from './db';
export * from './gateway';
export * from './http-client';
export * from './log-capture';
export * from './speech';
export * from './fakes';
