export * from './livekit-server';
export * from './ports';
