/**
 * The operator's account command, no npm needed (docs/operations.md, Administration):
 *   node --import tsx gateway/src/admin/cli.ts promote <email>     # the admin role
 *   node --import tsx gateway/src/admin/cli.ts demote <email>
 *   node --import tsx gateway/src/admin/cli.ts limits <email> [--quota-minutes N|default] [--max-call-seconds N|default]
 * Reads the same DATABASE_URL / DATA_DIR as the gateway (the embedded database only while the
 * gateway is stopped: PGlite serves one process per folder). Exit codes: 0 done, 1 failed
 * (unknown account, database unreachable), 2 wrong usage.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDatabase, createRepositories, DataDirInUseError, lockDataDir, migrateLatest } from '@parley/db';

const Env = z.object({
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('.data'),
});

const USAGE =
  'usage: admin promote <email> | demote <email> | limits <email> [--quota-minutes N|default] [--max-call-seconds N|default]';

class UsageError extends Error {}

/** "default" → null (the configured default); else a number in range. */
function limitValue(raw: string | undefined, name: string, max: number, integer: boolean): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'default') return null;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > max || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be ${integer ? 'a whole number' : 'a number'} from 0 to ${max}, or "default"`);
  return n;
}

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = console.log,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'quota-minutes': { type: 'string' }, 'max-call-seconds': { type: 'string' } },
    strict: true,
  });
  const [command, email, ...rest] = positionals;
  if (!command || !email || rest.length || !['promote', 'demote', 'limits'].includes(command))
    throw new UsageError(USAGE);
  const quota = limitValue(values['quota-minutes'], 'quota-minutes', 1_000_000, false);
  const maxCall = limitValue(values['max-call-seconds'], 'max-call-seconds', 86_400, true);
  if (maxCall === 0) throw new UsageError('--max-call-seconds must be at least 1');
  if (command !== 'limits' && (quota !== undefined || maxCall !== undefined)) throw new UsageError(USAGE);

  const e = Env.parse(env);
  const embeddedDir = e.DATABASE_URL ? undefined : `${e.DATA_DIR}/pg`;
  const release = embeddedDir ? lockDataDir(embeddedDir, 'the Parley admin command') : () => {};
  const db = createDatabase({ url: e.DATABASE_URL, dataDir: embeddedDir });
  try {
    await migrateLatest(db);
    const repos = createRepositories(db);
    const found = await repos.users.findCredentialsByEmail(email);
    if (!found) {
      out(`no account with the email ${email}`);
      return 1;
    }
    const { user } = found;
    if (command === 'promote' || command === 'demote') {
      const role = command === 'promote' ? 'admin' : 'user';
      await repos.users.setRole(user.id, role);
      // The command has no signed-in actor: the event says it came from the server's command line.
      if (role !== user.role)
        await repos.audit.record({
          userId: null,
          targetUserId: user.id,
          type: 'admin_role_change',
          details: { from: user.role, to: role, via: 'cli' },
        });
      out(`${user.email} is now ${role === 'admin' ? 'an admin' : 'a user'}`);
      return 0;
    }
    await repos.users.setLimits(user.id, { quotaMinutesPerDay: quota, maxCallSeconds: maxCall });
    const changed = Object.fromEntries(
      Object.entries({ quotaMinutesPerDay: quota, maxCallSeconds: maxCall }).filter(([, v]) => v !== undefined),
    );
    if (Object.keys(changed).length)
      await repos.audit.record({
        userId: null,
        targetUserId: user.id,
        type: 'admin_limits_change',
        details: { ...changed, via: 'cli' },
      });
    const now = await repos.users.limits(user.id);
    const show = (v: number | null, unit: string) => (v === null ? 'default' : `${v} ${unit}`);
    out(
      `${user.email}: quota ${show(now.quotaMinutesPerDay, 'minutes a day')}, max call ${show(now.maxCallSeconds, 's')}`,
    );
    return 0;
  } finally {
    await db.destroy();
    release();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        console.error((err as Error).message);
        process.exit(2);
      }
      if (err instanceof DataDirInUseError) {
        console.error(err.message);
        process.exit(1);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
