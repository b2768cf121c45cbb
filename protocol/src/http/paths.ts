// Generated from the route contracts (protocol/src/http/*.ts) by `npx tsx scripts/gen-paths.ts`; do not edit.
// paths.test.ts checks it matches them.
import type { api } from './index';
import type { RouteRefs } from './route';

export { pathOf, type RouteRef } from './route';

/** Method and path of every route, typed by its contract, without its schemas (and so without zod). */
export const paths: RouteRefs<typeof api> = {
  auth: {
    register: { method: 'post', path: '/api/auth/register' },
    login: { method: 'post', path: '/api/auth/login' },
    secondFactor: { method: 'post', path: '/api/auth/login/second-factor' },
    logout: { method: 'post', path: '/api/auth/logout' },
    me: { method: 'get', path: '/api/auth/me' },
  },
  recovery: {
    verifyEmail: { method: 'post', path: '/api/auth/verify-email' },
    resendVerification: { method: 'post', path: '/api/auth/verify-email/resend' },
    requestPasswordReset: { method: 'post', path: '/api/auth/password-reset/request' },
    resetPassword: { method: 'post', path: '/api/auth/password-reset' },
  },
  twoFactor: {
    status: { method: 'get', path: '/api/me/two-factor' },
    setup: { method: 'post', path: '/api/me/two-factor/setup' },
    enable: { method: 'post', path: '/api/me/two-factor/enable' },
    disable: { method: 'post', path: '/api/me/two-factor/disable' },
    regenerateBackupCodes: { method: 'post', path: '/api/me/two-factor/backup-codes' },
  },
  sessions: {
    list: { method: 'get', path: '/api/me/sessions' },
    revoke: { method: 'delete', path: '/api/me/sessions/:id' },
    revokeOthers: { method: 'post', path: '/api/me/sessions/revoke-others' },
  },
  passkeys: {
    list: { method: 'get', path: '/api/me/passkeys' },
    registrationOptions: { method: 'post', path: '/api/me/passkeys/registration-options' },
    add: { method: 'post', path: '/api/me/passkeys' },
    remove: { method: 'delete', path: '/api/me/passkeys/:id' },
    signInOptions: { method: 'post', path: '/api/auth/passkey/options' },
    signIn: { method: 'post', path: '/api/auth/passkey' },
  },
  oidc: {
    providers: { method: 'get', path: '/api/auth/providers' },
    start: { method: 'get', path: '/api/auth/oidc/:provider/start' },
    callback: { method: 'get', path: '/api/auth/oidc/:provider/callback' },
    identities: { method: 'get', path: '/api/me/identities' },
    link: { method: 'post', path: '/api/me/identities/:provider/link' },
    initialPassword: { method: 'post', path: '/api/me/initial-password' },
    unlink: { method: 'delete', path: '/api/me/identities/:id' },
  },
  me: {
    activity: { method: 'get', path: '/api/me/activity' },
    update: { method: 'patch', path: '/api/me' },
    changePassword: { method: 'post', path: '/api/me/password' },
  },
  preferences: {
    get: { method: 'get', path: '/api/me/preferences' },
    replace: { method: 'put', path: '/api/me/preferences' },
  },
  voices: {
    voices: { method: 'get', path: '/api/voices' },
    preview: { method: 'get', path: '/api/voices/preview' },
    languages: { method: 'get', path: '/api/languages' },
    providers: { method: 'get', path: '/api/providers' },
  },
  calls: {
    create: { method: 'post', path: '/api/calls' },
    rejoin: { method: 'post', path: '/api/calls/:id/rejoin' },
    status: { method: 'get', path: '/api/calls/:id' },
  },
  conversations: {
    list: { method: 'get', path: '/api/conversations' },
    get: { method: 'get', path: '/api/conversations/:id' },
    delete: { method: 'delete', path: '/api/conversations/:id' },
    export: { method: 'get', path: '/api/conversations/:id/export' },
  },
  account: {
    export: { method: 'get', path: '/api/me/export' },
    import: { method: 'post', path: '/api/me/import' },
    delete: { method: 'delete', path: '/api/me' },
    getRetention: { method: 'get', path: '/api/me/retention' },
    setRetention: { method: 'put', path: '/api/me/retention' },
    usage: { method: 'get', path: '/api/me/usage' },
    usageCost: { method: 'get', path: '/api/me/usage/cost' },
  },
  admin: {
    users: { method: 'get', path: '/api/admin/users' },
    conversations: { method: 'get', path: '/api/admin/conversations' },
    breakGlassTranscript: { method: 'post', path: '/api/admin/conversations/:id/transcript' },
    usage: { method: 'get', path: '/api/admin/usage' },
    changeUser: { method: 'patch', path: '/api/admin/users/:id' },
    disableUser: { method: 'post', path: '/api/admin/users/:id/disable' },
    enableUser: { method: 'post', path: '/api/admin/users/:id/enable' },
    deleteUser: { method: 'delete', path: '/api/admin/users/:id' },
    audit: { method: 'get', path: '/api/admin/audit' },
  },
  meta: {
    healthz: { method: 'get', path: '/healthz' },
    readyz: { method: 'get', path: '/readyz' },
    openapi: { method: 'get', path: '/api/openapi.json' },
  },
  shares: {
    create: { method: 'post', path: '/api/shares' },
    list: { method: 'get', path: '/api/shares' },
    revoke: { method: 'delete', path: '/api/shares/:id' },
    open: { method: 'get', path: '/api/shared/:token' },
  },
  memory: {
    list: { method: 'get', path: '/api/me/memory' },
    forget: { method: 'delete', path: '/api/me/memory/:id' },
    forgetAll: { method: 'delete', path: '/api/me/memory' },
    context: { method: 'post', path: '/internal/conversations/:id/memory' },
    recall: { method: 'post', path: '/internal/conversations/:id/recall' },
  },
  tokens: {
    create: { method: 'post', path: '/api/tokens' },
    list: { method: 'get', path: '/api/tokens' },
    revoke: { method: 'delete', path: '/api/tokens/:id' },
  },
  webhooks: {
    create: { method: 'post', path: '/api/webhooks' },
    list: { method: 'get', path: '/api/webhooks' },
    delete: { method: 'delete', path: '/api/webhooks/:id' },
    enable: { method: 'post', path: '/api/webhooks/:id/enable' },
    deliveries: { method: 'get', path: '/api/webhooks/:id/deliveries' },
  },
  internal: {
    ingest: { method: 'post', path: '/internal/conversations/:id/events' },
    history: { method: 'post', path: '/internal/conversations/:id/history' },
    heartbeat: { method: 'post', path: '/internal/agents/heartbeat' },
    livekitWebhook: { method: 'post', path: '/internal/livekit/webhook' },
  },
};
