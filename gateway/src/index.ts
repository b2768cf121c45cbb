export { loadGatewayConfig, type GatewayConfig } from './config/config';
export { SESSION_COOKIE } from './sessions/session';
export { startGateway, type RunningGateway } from './server';
export { createLogger } from './http/logger';
