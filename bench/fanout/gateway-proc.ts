// One real gateway process for the fan-out benchmark. The parent passes DATABASE_URL (already
// migrated), REDIS_URL, REDIS_PREFIX and the secrets; the gateway logs at LOG_LEVEL (default info,
// as in production) to stdout, which the parent discards. Reports its URL over IPC.
import { loadGatewayConfig, startGateway } from '@parley/gateway';
import { answerProfileRequests } from '../lib/profiler-ipc';
import { reportPauses } from '../lib/stalls';

const config = loadGatewayConfig({ ...process.env, HOST: '127.0.0.1', PORT: '0' });
const gw = await startGateway(config, { migrate: false });
process.send?.({ ready: gw.url });
const stop = async () => {
  await gw.close();
  process.exit(0);
};
answerProfileRequests();
reportPauses();
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
