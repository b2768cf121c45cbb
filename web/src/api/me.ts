import type { Preferences } from '@parley/protocol';
import { api, request } from './client';
import type { User } from './auth';

export interface Voice {
  id: string;
  name: string;
  language?: string | null;
}

export interface Language {
  code: string;
  name: string;
}

export interface ActiveProviders {
  stt: string;
  llm: string;
  tts: string;
  llmModel?: string;
  /** Why calls cannot hear or speak ("speech recognition is not installed on the server: …"). */
  unavailable?: string[];
}

export interface Usage {
  calls?: number;
  minutesTalked?: number;
  turns?: number;
  medianTurnLatencyMs?: number | null;
  activeDayStreak?: number;
}

/** Accepts both `{ key: value }` envelopes and bare bodies, so the client survives either shape. */
function unwrap<T>(body: unknown, key: string): T {
  if (body && typeof body === 'object' && key in body) return (body as Record<string, T>)[key] as T;
  return body as T;
}

export const updateProfile = async (input: { displayName: string; email?: string; password?: string }) =>
  unwrap<User>(await api.patch<unknown>('/api/me', input), 'user');

export const changePassword = (input: { currentPassword: string; newPassword: string }) =>
  api.post<unknown>('/api/me/password', input);

export const getPreferences = async () =>
  unwrap<Preferences>(await api.get<unknown>('/api/me/preferences'), 'preferences');
export const putPreferences = async (p: Preferences) =>
  unwrap<Preferences>(await api.put<unknown>('/api/me/preferences', p), 'preferences');

export const getVoices = async () => unwrap<Voice[]>(await api.get<unknown>('/api/voices'), 'voices');
export const getLanguages = async () => unwrap<Language[]>(await api.get<unknown>('/api/languages'), 'languages');
export const getProviders = async () => unwrap<ActiveProviders>(await api.get<unknown>('/api/providers'), 'providers');
export const getUsage = async () => unwrap<Usage>(await api.get<unknown>('/api/me/usage'), 'usage');

/** The export file goes up as a file (not re-serialised JSON): the gateway reads it raw, up to its own limit. */
export const importFile = (file: Blob) => request<unknown>('POST', '/api/me/import', file);
/** Needs the current password. */
export const deleteAccount = (password: string) => request<void>('DELETE', '/api/me', { password });
export const EXPORT_ALL_URL = '/api/me/export';
