// Resolve hook for the production image. The TypeScript sources import relative modules without an
// extension (`./context`, `./providers/index`), which tsx and bundlers resolve; tsc keeps the
// specifiers as written and Node's ESM loader wants the file name. Hand-written because it is the
// few lines Node lacks (no `--experimental-specifier-resolution` since Node 19).
const RELATIVE = /^\.{1,2}\//;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const code = err?.code;
    if (!RELATIVE.test(specifier) || (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNSUPPORTED_DIR_IMPORT'))
      throw err;
    for (const suffix of ['.js', '/index.js']) {
      try {
        return await nextResolve(specifier + suffix, context);
      } catch {
        // try the next form
      }
    }
    throw err;
  }
}
