import express, { Router, type Request } from 'express';
import { api, EXPORT_FORMAT, EXPORT_VERSION, ExportEnvelope, IMPORT_MAX_BYTES } from '@parley/protocol';
import type { AppContext } from '../context';
import { endUserSession } from '../auth/user-session';
import { AppError, errors } from '../http/errors';
import { route } from '../http/route';
import { issueDetails } from '../http/validate';
import { rateLimiters } from '../security/rate-limit';
import { verifyPassword } from '../security/passwords';
import { presentConversation, presentUtterance } from '../conversations/presenter';
import { preferencesService } from '../preferences/service';

/**
 * Own your data:
 *   GET    /api/me/export  → the versioned export file (profile, preferences, conversations + turns)
 *   POST   /api/me/import  → preferences from such a file (all or nothing)
 *   DELETE /api/me {password} → the account and every row that belongs to it; sessions end
 */
export function accountDataRouter(ctx: AppContext): Router {
  const router = Router();
  const preferences = preferencesService(ctx);

  route(router, api.account.export, async (_input, req, res) => {
    const data = await ctx.repos.account.exportData(req.user!.id);
    if (!data) throw errors.unauthenticated();
    const exportedAt = new Date();
    const prefs = await preferences.get(req.user!.id);
    await ctx.repos.audit.record({
      userId: req.user!.id,
      type: 'data_export',
      ip: req.ip,
      details: { conversations: data.conversations.length },
    });
    res.set({
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="parley-export-${exportedAt.toISOString().slice(0, 10)}.json"`,
      'Cache-Control': 'private, no-store',
    });
    return {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: exportedAt.toISOString(),
      profile: {
        id: data.profile.id,
        email: data.profile.email,
        displayName: data.profile.displayName,
        createdAt: data.profile.createdAt.toISOString(),
        retentionDays: data.profile.retentionDays,
      },
      preferences: prefs.preferences,
      conversations: data.conversations.map((c) => ({
        ...presentConversation(c, c.utterances.find((u) => u.role === 'user')?.text ?? null),
        utterances: c.utterances.map(presentUtterance),
      })),
    };
  });

  // JSON bodies were already parsed by the API's JSON parser (64 kB); a whole export file is sent
  // as a file (any other content type) and read here up to IMPORT_MAX_BYTES (over it: 413).
  const rawFile = express.raw({ type: () => true, limit: IMPORT_MAX_BYTES });

  route(router, api.account.import, rawFile, async (_input, req) => {
    const doc = parseImportBody(req);
    const envelope = ExportEnvelope.safeParse(doc);
    if (!envelope.success) throw errors.validation(issueDetails(envelope.error), 'This is not a Parley export file.');
    if (envelope.data.format !== EXPORT_FORMAT || envelope.data.version !== EXPORT_VERSION) {
      throw new AppError(400, 'unsupported_version', 'This export file comes from an unsupported format or version.', {
        expected: { format: EXPORT_FORMAT, version: EXPORT_VERSION },
      });
    }
    // The same validation, voice check and audit as PUT /api/me/preferences (one writer).
    const saved = await preferences.replace(req.user!.id, envelope.data.preferences, { source: 'import', ip: req.ip });
    req.log?.info({ event: 'preferences_imported' }, 'preferences imported');
    return { preferences: saved };
  });

  route(
    router,
    api.account.delete,
    rateLimiters(ctx).passwordCheckPerUser,
    async ({ body: { password } }, req, res) => {
      const hash = await ctx.repos.users.passwordHash(req.user!.id);
      if (!hash || !(await verifyPassword(password, hash))) throw errors.wrongPassword();
      const userId = req.user!.id;
      // One change: the account goes, every queued delivery holding its data goes, account.deleted is queued.
      await ctx.repos.transaction(async (repos) => {
        await repos.webhooks.deleteForSubject(userId);
        await ctx.webhooks.emit({ type: 'account.deleted', userId, data: { userId } }, repos);
        // Kept after the account, like its other events, under its pseudonym (AuditRepository.pseudonymise).
        await repos.audit.record({ userId, type: 'account_deleted', ip: req.ip });
        await repos.account.delete(userId);
      });
      ctx.webhooks.onQueued();
      // Every session of the account ends now, in whichever store holds them.
      await ctx.userSessions.endAll(req.user!.id);
      await endUserSession(req, res);
      ctx.logger.info({ event: 'account_deleted' }, "an account was deleted at its owner's request");
    },
  );

  return router;
}

function parseImportBody(req: Request): unknown {
  if (!Buffer.isBuffer(req.body)) return req.body; // already parsed JSON
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new AppError(400, 'invalid_json', 'The file is not valid JSON (it may be damaged or truncated).');
  }
}
