export { loadGatewayConfig, type GatewayConfig } from './config/config';
export { startGateway, type RunningGateway } from './server';
export { createLogger } from './http/logger';
