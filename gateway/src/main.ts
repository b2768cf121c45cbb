import { loadGatewayConfig } from './config/config';
import { createLogger } from './http/logger';
import { passwordProblems } from './security/passwords';
import { startGateway } from './server';

const config = loadGatewayConfig();
const logger = createLogger(config.logLevel);
const gateway = await startGateway(config, { logger });
// zxcvbn builds its dictionaries on first use (~1.8 s): do it now, not in the first sign-up.
setImmediate(() => passwordProblems('warm-up Correct Horse 9', { email: 'warm-up@parley.invalid' }));

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'gateway stopping');
  const force = setTimeout(() => process.exit(1), 10_000).unref();
  await gateway.close();
  clearTimeout(force);
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
