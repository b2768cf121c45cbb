export * from './livekit-server';
export * from './ports';
export * from './processes';
export * from './caddy';
