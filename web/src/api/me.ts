import type { BodyOf, LanguageOption, Preferences } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call, callForBlob } from './client';

export type { ProvidersResponse as ActiveProviders, Usage, UsageCost, Voice } from '@parley/protocol';
export type Language = LanguageOption;

export const updateProfile = async (input: BodyOf<typeof api.me.update>) =>
  (await call(api.me.update, { body: input })).user;

export const changePassword = (input: BodyOf<typeof api.me.changePassword>) =>
  call(api.me.changePassword, { body: input });

export const getPreferences = async () => (await call(api.preferences.get)).preferences;
export const putPreferences = async (p: Preferences) => (await call(api.preferences.replace, { body: p })).preferences;

export const getVoices = async () => (await call(api.voices.voices)).voices;
export const getLanguages = async () => (await call(api.voices.languages)).languages;
export const getProviders = () => call(api.voices.providers);
/** A short sample of `voice` speaking `language` (audio/wav), synthesised by the server's text-to-speech. */
export const getVoicePreview = (voice: string | undefined, language: string, signal?: AbortSignal) =>
  callForBlob(api.voices.preview, { query: { voice, language }, signal });
export const getUsage = () => call(api.account.usage);
/** One UTC month's priced usage (YYYY-MM; default: this month). */
export const getUsageCost = (month?: string) => call(api.account.usageCost, { query: month ? { month } : {} });

/** The export file goes up as a file (not re-serialised JSON): the gateway reads it raw, up to its own limit. */
export const importFile = async (file: Blob) => (await call(api.account.import, { body: file })).preferences;
/** Needs the current password. */
export const deleteAccount = (password: string) => call(api.account.delete, { body: { password } });
export const EXPORT_ALL_URL = api.account.export.path;
