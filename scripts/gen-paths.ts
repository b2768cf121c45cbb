// Writes protocol/src/http/paths.ts (every route's method and path, without schemas) from the contracts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { api } from '@parley/protocol';
import { renderPaths } from '@parley/protocol/render-paths';

const file = path.resolve(import.meta.dirname, '../protocol/src/http/paths.ts');
writeFileSync(file, renderPaths(api as never));
console.log(`wrote ${path.relative(process.cwd(), file)}`);
