import { z } from 'zod';
import { Preferences } from '../preferences';
import { IsoDateTime } from './common';
import { Conversation, StoredUtterance } from './conversations';
import { PreferencesEnvelope } from './preferences';
import { defineRoute } from './route';

/** The "own your data" file: GET /api/me/export writes it, POST /api/me/import reads its preferences. */
export const EXPORT_FORMAT = 'parley-export';
export const EXPORT_VERSION = 1;

/** Largest import body accepted when sent as a file (non-JSON content type); JSON bodies keep the API's 64 kB limit. */
export const IMPORT_MAX_BYTES = 10 * 1024 * 1024;

/** Just enough to recognise the file before trusting anything else in it. */
export const ExportEnvelope = z.object({ format: z.string(), version: z.number() }).passthrough();

/**
 * What import reads from a version-1 file: the preferences (checked like PUT /api/me/preferences,
 * by the same preferences service); the rest of an export file may come along and is ignored.
 */
const ImportFile = z
  .object({ format: z.literal(EXPORT_FORMAT), version: z.literal(EXPORT_VERSION), preferences: Preferences })
  .passthrough();

export const UserExport = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  exportedAt: IsoDateTime,
  profile: z.object({
    id: z.string().uuid(),
    email: z.string(),
    displayName: z.string(),
    createdAt: IsoDateTime,
    retentionDays: z.number().int().nullable(),
  }),
  preferences: Preferences,
  conversations: z.array(Conversation.extend({ utterances: z.array(StoredUtterance) })),
});
export type UserExport = z.infer<typeof UserExport>;

export const DeleteAccountBody = z.object({ password: z.string().min(1).max(1000) }).strict();

export const RetentionBody = z.object({ days: z.number().int().min(1).max(3650).nullable() }).strict();
/** A single setting: the value under its name (null: keep forever). */
export const Retention = z.object({ retentionDays: z.number().int().nullable() });

/** A report of this route only, so it is the body itself (see the envelope rule in protocol/README.md). */
export const Usage = z.object({
  calls: z.number().int(),
  minutesTalked: z.number(),
  turns: z.number().int(),
  medianTurnLatencyMs: z.number().nullable(),
  activeDayStreak: z.number().int(),
});
export type Usage = z.infer<typeof Usage>;

/** Provider usage and its estimated cost (USD, priced by the gateway's price table when stored). */
export const UsageFigures = z.object({
  /** Seconds of caller audio sent to speech recognition. */
  sttAudioSeconds: z.number(),
  llmPromptTokens: z.number().int(),
  llmCompletionTokens: z.number().int(),
  /** Characters sent to speech synthesis. */
  ttsCharacters: z.number().int(),
  /** Estimated cost in USD. */
  costUsd: z.number(),
  /** Some usage had no price in the table (its cost is not in costUsd). */
  unpriced: z.boolean(),
});
export type UsageFigures = z.infer<typeof UsageFigures>;

export const UsageMonth = z.string().regex(/^2\d{3}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');
export const UsageCostQuery = z.strictObject({
  /** The UTC month (YYYY-MM); default: the current one. */
  month: UsageMonth.optional(),
});
export const UsageCost = z.object({
  month: UsageMonth,
  currency: z.literal('USD'),
  /** Every call that started in the month. */
  total: UsageFigures.extend({ calls: z.number().int(), minutes: z.number() }),
  /** The month's calls, newest first (at most 500), each with its own usage and cost. */
  conversations: z.array(
    UsageFigures.extend({
      conversationId: z.string().uuid(),
      title: z.string().nullable(),
      startedAt: IsoDateTime,
      minutes: z.number(),
    }),
  ),
});
export type UsageCost = z.infer<typeof UsageCost>;

export const accountRoutes = {
  export: defineRoute({
    method: 'get',
    path: '/api/me/export',
    scopes: ['export'],
    summary: 'Downloads everything Parley stores about you as one versioned JSON file.',
    auth: 'user',
    response: UserExport,
  }),
  import: defineRoute({
    method: 'post',
    path: '/api/me/import',
    summary:
      'Restores preferences from an export file (all or nothing). Send it as application/json (≤ 64 kB) or as a file with any other content type (≤ 10 MB).',
    auth: 'user',
    body: ImportFile,
    bodyFormat: 'file',
    response: PreferencesEnvelope,
    errors: {
      400: ['invalid_json (corrupt file)', 'unsupported_version (other format or version)'],
    },
  }),
  delete: defineRoute({
    method: 'delete',
    path: '/api/me',
    summary:
      'Deletes your account and every row that belongs to it, except its audit events: kept under a pseudonym (no email or name) until AUDIT_RETENTION_DAYS; all your sessions end.',
    auth: 'user',
    body: DeleteAccountBody,
    errors: { 403: 'wrong_password', 429: 'rate_limited' },
  }),
  getRetention: defineRoute({
    method: 'get',
    path: '/api/me/retention',
    summary: 'Your retention setting in days (null: keep forever).',
    auth: 'user',
    response: Retention,
  }),
  setRetention: defineRoute({
    method: 'put',
    path: '/api/me/retention',
    summary: 'Sets how many days conversations are kept (null: forever); an hourly job deletes older ones.',
    auth: 'user',
    body: RetentionBody,
    response: Retention,
  }),
  usage: defineRoute({
    method: 'get',
    path: '/api/me/usage',
    summary:
      'Your usage: calls, minutes talked, turns, median turn latency (e2e, ms) and active-day streak (UTC days).',
    auth: 'user',
    response: Usage,
  }),
  usageCost: defineRoute({
    method: 'get',
    path: '/api/me/usage/cost',
    summary:
      "Your provider usage and its estimated cost for one UTC month (default: this one): the month's total and each call's (speech-recognition seconds, LLM tokens, synthesized characters, USD).",
    auth: 'user',
    query: UsageCostQuery,
    response: UsageCost,
  }),
};
