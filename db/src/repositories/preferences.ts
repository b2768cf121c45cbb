import type { Database } from '../connect';

/** Stored voice preferences; the same shape as Preferences in @parley/protocol (validated there). */
export interface PreferencesRecord {
  ttsVoice: string | null;
  language: string;
  favoriteTopics: string[];
  systemPrompt: string;
  memory: boolean;
}

interface PreferencesRow {
  tts_voice: string | null;
  language: string;
  favorite_topics: string[];
  system_prompt: string;
  memory: boolean;
}

const COLUMNS = ['tts_voice', 'language', 'favorite_topics', 'system_prompt', 'memory'];

const fromRow = (r: PreferencesRow): PreferencesRecord => ({
  ttsVoice: r.tts_voice,
  language: r.language,
  favoriteTopics: r.favorite_topics,
  systemPrompt: r.system_prompt,
  memory: r.memory,
});

/** One row per user; the gateway's preferences service validates what goes in and comes out. */
export class PreferencesRepository {
  constructor(private readonly db: Database) {}

  /** The user's preferences, or undefined when never saved (callers apply DEFAULT_PREFERENCES). */
  async get(userId: string): Promise<PreferencesRecord | undefined> {
    const row = await this.db('user_preferences')
      .where({ user_id: userId })
      .first(...COLUMNS);
    return row ? fromRow(row) : undefined;
  }

  /** Replaces the user's preferences (insert or update). */
  async save(userId: string, prefs: PreferencesRecord): Promise<PreferencesRecord> {
    const values = {
      tts_voice: prefs.ttsVoice,
      language: prefs.language,
      favorite_topics: JSON.stringify(prefs.favoriteTopics),
      system_prompt: prefs.systemPrompt,
      memory: prefs.memory,
      updated_at: this.db.fn.now(),
    };
    const [row] = await this.db('user_preferences')
      .insert({ user_id: userId, ...values })
      .onConflict('user_id')
      .merge()
      .returning(COLUMNS);
    return fromRow(row);
  }
}
