import type { Database } from '@parley/db';
import { DEFAULT_PREFERENCES, Preferences } from '@parley/protocol';

/**
 * The caller's stored preferences, as the agent will receive them. Defaults when the user has
 * no row (or a row that no longer validates, e.g. a language Parley dropped).
 */
export async function storedPreferences(
  db: Database,
  userId: string,
): Promise<{ preferences: Preferences; valid: boolean }> {
  const row = await db('user_preferences')
    .where({ user_id: userId })
    .first('tts_voice', 'language', 'favorite_topics', 'system_prompt');
  if (!row) return { preferences: DEFAULT_PREFERENCES, valid: true };
  const parsed = Preferences.safeParse({
    ttsVoice: row.tts_voice,
    language: row.language,
    favoriteTopics: row.favorite_topics,
    systemPrompt: row.system_prompt,
  });
  return parsed.success
    ? { preferences: parsed.data, valid: true }
    : { preferences: DEFAULT_PREFERENCES, valid: false };
}
