// `node --import ./deploy/runtime/register.mjs …`: lets the compiled JavaScript keep the sources'
// extensionless relative imports (see resolve.mjs). Forked job processes inherit the flag.
import { register } from 'node:module';

register('./resolve.mjs', import.meta.url);
