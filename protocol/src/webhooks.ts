import { z } from 'zod';
import { Conversation, StoredUtterance } from './http/conversations';

/**
 * Outgoing webhooks: events Parley sends to HTTPS endpoints its users (or, for the whole instance,
 * its admins) register. Each delivery is signed the Standard Webhooks way
 * (https://www.standardwebhooks.com): headers `webhook-id` (the event id, the same on every retry:
 * de-duplicate by it), `webhook-timestamp` (Unix seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the endpoint's `whsec_` secret).
 * The body is a `WebhookEvent`. docs/integrations.md shows a receiver.
 */
export const WEBHOOK_EVENTS = {
  'call.ended': 'A call ended: the conversation, its full transcript with per-turn latency, and usage.',
  'conversation.deleted': 'A conversation was deleted (by its owner, or by their retention setting).',
  'account.deleted': 'An account was deleted (sent after its data is gone).',
} as const;
export type WebhookEventType = keyof typeof WEBHOOK_EVENTS;
export const WebhookEventType = z.enum(Object.keys(WEBHOOK_EVENTS) as [WebhookEventType, ...WebhookEventType[]]);

/** Every secret starts with this (Standard Webhooks); the rest is base64 of 24 random bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Endpoints a user may register. */
export const WEBHOOK_MAX_ENDPOINTS = 10;

/** Why an endpoint URL was refused (`webhook_url_refused`, in `details.reason`). */
export const WEBHOOK_URL_REFUSALS = {
  invalid_url: 'Not an absolute http(s) URL.',
  not_https: 'Only https:// URLs are accepted (plain http only for networks on the allow-list).',
  private_address:
    'The host is, or resolves to, a loopback, private, link-local or other non-public address (and is not on the allow-list).',
  unresolvable: 'The host name does not resolve.',
} as const;
export type WebhookUrlRefusal = keyof typeof WEBHOOK_URL_REFUSALS;

const iso = z.string().describe('ISO 8601 date-time');

export const CreateWebhookBody = z
  .object({
    url: z.string().trim().min(1).max(2000),
    events: z.array(WebhookEventType).min(1).max(3),
    /** `instance`: every account's events (admins only). Default: your own. */
    scope: z.enum(['user', 'instance']).default('user'),
  })
  .strict();
export type CreateWebhookBody = z.input<typeof CreateWebhookBody>;

export const WebhookEndpoint = z
  .object({
    id: z.string().uuid(),
    url: z.string(),
    events: z.array(WebhookEventType),
    scope: z.enum(['user', 'instance']),
    createdAt: iso,
    /** Set while deliveries keep failing (the first failure of the current run). */
    failingSince: iso.nullable(),
    /** Set when Parley stopped delivering because the endpoint kept failing; the owner was told by mail. */
    disabledAt: iso.nullable(),
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

/** The secret is in this answer only. */
export const CreatedWebhook = z.object({ endpoint: WebhookEndpoint, secret: z.string() });
export type CreatedWebhook = z.infer<typeof CreatedWebhook>;

export const WebhookList = z.object({ endpoints: z.array(WebhookEndpoint) });
export type WebhookList = z.infer<typeof WebhookList>;

export const WebhookDeliveryStatus = z.enum(['pending', 'delivered', 'failed']);
export type WebhookDeliveryStatus = z.infer<typeof WebhookDeliveryStatus>;

export const WebhookDelivery = z
  .object({
    /** The delivery's own id. */
    id: z.string().uuid(),
    /** The `webhook-id` header (the same on every attempt). */
    eventId: z.string(),
    eventType: WebhookEventType,
    status: WebhookDeliveryStatus,
    attempts: z.number().int(),
    /** HTTP status of the last attempt (null: no answer). */
    lastStatus: z.number().int().nullable(),
    /** Why the last attempt failed, e.g. `http_503`, `timeout`, `ECONNREFUSED`, `endpoint_disabled`. */
    lastError: z.string().nullable(),
    createdAt: iso,
    /** When the next attempt is due (pending only). */
    nextAttemptAt: iso.nullable(),
    finishedAt: iso.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryList = z.object({ deliveries: z.array(WebhookDelivery) });
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;

/** What a `call.ended` event carries. */
export const CallEndedData = z.object({
  userId: z.string().uuid(),
  conversation: Conversation,
  /** The full transcript in order, each turn with its latency figures (`metrics`, milliseconds). */
  utterances: z.array(StoredUtterance),
  usage: z.object({
    durationMs: z.number().nullable(),
    turns: z.number().int(),
    /** Median end-of-speech → first agent audio over the call's replies. */
    medianTurnLatencyMs: z.number().nullable(),
  }),
});
export type CallEndedData = z.infer<typeof CallEndedData>;

export const ConversationDeletedData = z.object({
  userId: z.string().uuid(),
  conversationId: z.string().uuid(),
  /** `owner`: deleted by its owner; `retention`: removed by the owner's retention setting. */
  reason: z.enum(['owner', 'retention']),
});
export const AccountDeletedData = z.object({ userId: z.string().uuid() });

/** The signed body of every delivery. */
export const WebhookEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call.ended'), timestamp: iso, data: CallEndedData }),
  z.object({ type: z.literal('conversation.deleted'), timestamp: iso, data: ConversationDeletedData }),
  z.object({ type: z.literal('account.deleted'), timestamp: iso, data: AccountDeletedData }),
]);
export type WebhookEvent = z.infer<typeof WebhookEvent>;
