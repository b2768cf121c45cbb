import { z } from 'zod';
import { CreatedWebhook, CreateWebhookBody, WebhookDeliveryList, WebhookEndpoint, WebhookList } from '../webhooks';
import { IdParams } from './common';
import { defineRoute } from './route';

/**
 * Outgoing webhook endpoints (schemas: ../webhooks.ts). Managed with the session cookie only. An
 * endpoint is its owner's; an instance-wide one (scope `instance`) is every admin's and nobody else's
 * (404 for others, as for any id that is not yours).
 */
export const webhooksRoutes = {
  create: defineRoute({
    method: 'post',
    path: '/api/webhooks',
    summary:
      'Register an endpoint for events (the signing secret is shown once). The URL must be https:// and resolve to public addresses only (WEBHOOK_ALLOWED_NETWORKS widens this).',
    tag: 'webhooks',
    auth: 'user',
    body: CreateWebhookBody,
    response: CreatedWebhook,
    status: 201,
    errors: {
      400: 'webhook_url_refused (details.reason: invalid_url, not_https, private_address, unresolvable)',
      403: 'admin_only (scope instance)',
      409: 'conflict (too many endpoints)',
    },
  }),
  list: defineRoute({
    method: 'get',
    path: '/api/webhooks',
    summary: 'Your endpoints (and, for admins, the instance-wide ones), with failure and disabled notices',
    tag: 'webhooks',
    auth: 'user',
    response: WebhookList,
  }),
  delete: defineRoute({
    method: 'delete',
    path: '/api/webhooks/:id',
    summary: 'Delete an endpoint (its undelivered events are dropped)',
    tag: 'webhooks',
    auth: 'user',
    params: IdParams,
  }),
  enable: defineRoute({
    method: 'post',
    path: '/api/webhooks/:id/enable',
    summary: 'Turn a disabled endpoint back on (new events only)',
    tag: 'webhooks',
    auth: 'user',
    params: IdParams,
    response: z.object({ endpoint: WebhookEndpoint }),
  }),
  deliveries: defineRoute({
    method: 'get',
    path: '/api/webhooks/:id/deliveries',
    summary: "An endpoint's delivery log, newest first (status, attempts, last answer; never the payload)",
    tag: 'webhooks',
    auth: 'user',
    params: IdParams,
    response: WebhookDeliveryList,
  }),
};
