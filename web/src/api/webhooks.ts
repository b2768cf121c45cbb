import type { CreateWebhookBody, WebhookDelivery, WebhookEndpoint } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call } from './client';

export const createWebhook = (body: CreateWebhookBody) => call(api.webhooks.create, { body });

export async function listWebhooks(): Promise<WebhookEndpoint[]> {
  return (await call(api.webhooks.list)).endpoints;
}

export const deleteWebhook = (id: string) => call(api.webhooks.delete, { params: { id } });

export const enableWebhook = (id: string) => call(api.webhooks.enable, { params: { id } });

export async function listDeliveries(id: string): Promise<WebhookDelivery[]> {
  return (await call(api.webhooks.deliveries, { params: { id } })).deliveries;
}
