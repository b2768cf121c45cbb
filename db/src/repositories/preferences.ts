import type { Database } from '../connect';

/** Stored voice preferences; the same shape as Preferences in @parley/protocol (validated there). */
export interface PreferencesRecord {
  ttsVoice: string | null;
  language: string;
  favoriteTopics: string[];
  systemPrompt: string;
}

interface PreferencesRow {
  tts_voice: string | null;
  language: string;
  favorite_topics: string[];
  system_prompt: string;
}

const fromRow = (r: PreferencesRow): PreferencesRecord => ({
  ttsVoice: r.tts_voice,
  language: r.language,
  favoriteTopics: r.favorite_topics,
  systemPrompt: r.system_prompt,
});

/** The user's preferences, or undefined when never saved (callers apply DEFAULT_PREFERENCES). */
export async function getPreferences(db: Database, userId: string): Promise<PreferencesRecord | undefined> {
  const row = await db('user_preferences')
    .where({ user_id: userId })
    .first('tts_voice', 'language', 'favorite_topics', 'system_prompt');
  return row ? fromRow(row) : undefined;
}

/** Replaces the user's preferences (insert or update). */
export async function savePreferences(
  db: Database,
  userId: string,
  prefs: PreferencesRecord,
): Promise<PreferencesRecord> {
  const values = {
    tts_voice: prefs.ttsVoice,
    language: prefs.language,
    favorite_topics: JSON.stringify(prefs.favoriteTopics),
    system_prompt: prefs.systemPrompt,
    updated_at: db.fn.now(),
  };
  const [row] = await db('user_preferences')
    .insert({ user_id: userId, ...values })
    .onConflict('user_id')
    .merge()
    .returning(['tts_voice', 'language', 'favorite_topics', 'system_prompt']);
  return fromRow(row);
}
