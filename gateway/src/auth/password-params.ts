import type { AppContext } from '../context';
import { PRODUCTION_PARAMS, TEST_PARAMS, type ScryptParams } from '../security/passwords';

/** scrypt cost for new hashes: the production baseline, or cheap parameters under NODE_ENV=test. */
export function passwordParams(ctx: Pick<AppContext, 'config'>): ScryptParams {
  return ctx.config.env === 'test' ? TEST_PARAMS : PRODUCTION_PARAMS;
}
