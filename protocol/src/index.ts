export * from './errors';
export * from './preferences';
export * from './transcript';
export * from './providers';
export * from './voices';
export * from './env';
export * from './text';
export * from './oidc';
