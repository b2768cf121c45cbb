import type { AdminUserChange, QueryOf } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call } from './client';

export type { AdminAuditEvent, AdminConversation, AdminUsage, AdminUser, BreakGlassTranscript } from '@parley/protocol';

/** The admin console's routes (protocol/src/http/admin.ts); each answers 404 to anyone but an admin. */
export const listUsers = (query: QueryOf<typeof api.admin.users>) => call(api.admin.users, { query });
export const changeUser = async (id: string, body: AdminUserChange) =>
  (await call(api.admin.changeUser, { params: { id }, body })).user;
export const disableUser = async (id: string) => (await call(api.admin.disableUser, { params: { id } })).user;
export const enableUser = async (id: string) => (await call(api.admin.enableUser, { params: { id } })).user;
export const deleteUser = (id: string) => call(api.admin.deleteUser, { params: { id } });
export const listConversations = (query: QueryOf<typeof api.admin.conversations>) =>
  call(api.admin.conversations, { query });
/** One UTC month (YYYY-MM; default: this one). */
export const getUsage = (month?: string) => call(api.admin.usage, { query: month ? { month } : {} });
export const listAudit = (query: QueryOf<typeof api.admin.audit>) => call(api.admin.audit, { query });
/** Break-glass: audited with the stated reason before the transcript is read (docs/operations.md). */
export const breakGlassTranscript = (id: string, reason: string) =>
  call(api.admin.breakGlassTranscript, { params: { id }, body: { reason } });
