import { DEFAULT_PREFERENCES, Preferences, PreferencesBody } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { issueDetails } from '../http/validate';
import { voiceCatalogue } from '../voices/catalogue';

/** Where a write came from: the settings form (PUT /api/me/preferences) or an export file. */
export type PreferencesSource = 'api' | 'import';

export interface PreferencesService {
  /**
   * The user's preferences as the agent and the client receive them: the stored ones, or the
   * defaults when none were saved or the stored ones no longer validate (`valid: false`, e.g. a
   * language Parley dropped).
   */
  get(userId: string): Promise<{ preferences: Preferences; valid: boolean }>;
  /**
   * The one writer: validates `input` (strict: unknown fields are refused), checks the voice
   * against the active provider's catalogue, stores it and records which fields changed in the
   * audit trail, all or nothing. Bad input throws the same validation_failed error whatever the
   * source.
   */
  replace(
    userId: string,
    input: unknown,
    options: { source: PreferencesSource; ip?: string | undefined },
  ): Promise<Preferences>;
}

export function preferencesService(ctx: AppContext): PreferencesService {
  const get = async (userId: string, repos = ctx.repos) => {
    const stored = await repos.preferences.get(userId);
    if (!stored) return { preferences: { ...DEFAULT_PREFERENCES }, valid: true };
    const parsed = Preferences.safeParse(stored);
    return parsed.success
      ? { preferences: parsed.data, valid: true }
      : { preferences: { ...DEFAULT_PREFERENCES }, valid: false };
  };

  return {
    get: (userId) => get(userId),

    async replace(userId, input, { source, ip }) {
      const parsed = PreferencesBody.safeParse(input);
      if (!parsed.success) throw errors.validation(issueDetails(parsed.error));
      const prefs = parsed.data;
      if (prefs.ttsVoice !== null && !(await voiceCatalogue(ctx)).has(prefs.ttsVoice))
        throw errors.validation([
          { path: 'ttsVoice', message: 'This voice is not offered by the active text-to-speech provider.' },
        ]);
      return ctx.repos.transaction(async (tx) => {
        const { preferences: before } = await get(userId, tx);
        const saved = Preferences.parse(await tx.preferences.save(userId, prefs));
        const fields = (Object.keys(prefs) as Array<keyof Preferences>).filter(
          (k) => JSON.stringify(before[k]) !== JSON.stringify(prefs[k]),
        );
        await tx.audit.record({
          userId,
          type: 'preferences_change',
          ip,
          details: source === 'api' ? { fields } : { fields, source },
        });
        return saved;
      });
    },
  };
}
