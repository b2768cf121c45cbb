import { z } from 'zod';

/** The "own your data" file: GET /api/me/export writes it, POST /api/me/import reads its preferences. */
export const EXPORT_FORMAT = 'parley-export';
export const EXPORT_VERSION = 1;

/** Largest import body accepted when sent as a file (non-JSON content type); JSON bodies keep the API's 64 kB limit. */
export const IMPORT_MAX_BYTES = 10 * 1024 * 1024;

/** Just enough to recognise the file before trusting anything else in it. */
export const ExportEnvelope = z.object({ format: z.string(), version: z.number() }).passthrough();

export const DeleteAccountBody = z.object({ password: z.string().min(1).max(1000) }).strict();
