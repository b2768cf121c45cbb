import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebhookEndpoint } from '@parley/protocol';
import { fetchStub } from '../../test/fixtures';
import { WebhooksSection } from './WebhooksSection';

const ID = '7a2e4c1b-3d5f-4e6a-8b9c-000000000001';
const endpoint = (extra: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: ID,
  url: 'https://crm.example.com/hooks/parley',
  events: ['call.ended'],
  scope: 'user',
  createdAt: '2025-05-02T08:00:00.000Z',
  failingSince: null,
  disabledAt: null,
  ...extra,
});

describe('<WebhooksSection>', () => {
  let stub: ReturnType<typeof fetchStub>;
  let endpoints: WebhookEndpoint[];
  beforeEach(() => {
    endpoints = [];
    stub = fetchStub({
      'GET /api/webhooks': () => ({ body: { endpoints } }),
      'POST /api/webhooks': (_url, init) => {
        const body = JSON.parse(String(init.body)) as { url: string; events: WebhookEndpoint['events'] };
        if (body.url.includes('localhost'))
          return {
            status: 400,
            body: {
              error: { code: 'webhook_url_refused', message: 'refused', details: { reason: 'private_address' } },
            },
          };
        endpoints = [endpoint({ url: body.url, events: body.events })];
        return { status: 201, body: { endpoint: endpoints[0], secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' } };
      },
      [`DELETE /api/webhooks/${ID}`]: () => {
        endpoints = [];
        return { status: 204 };
      },
      [`GET /api/webhooks/${ID}/deliveries`]: () => ({
        body: {
          deliveries: [
            {
              id: '9c1d2e3f-4a5b-4c6d-8e7f-000000000001',
              eventId: 'msg_1',
              eventType: 'call.ended',
              status: 'pending',
              attempts: 3,
              lastStatus: 503,
              lastError: 'http_503',
              createdAt: '2025-05-12T06:10:00.000Z',
              nextAttemptAt: '2025-05-12T06:11:00.000Z',
              finishedAt: null,
            },
          ],
        },
      }),
    });
    vi.stubGlobal('fetch', stub.fn);
  });

  it('adds an endpoint, shows its secret once, lists it with its deliveries, and deletes it', async () => {
    const user = userEvent.setup();
    render(<WebhooksSection isAdmin={false} />);
    expect(await screen.findByText('No webhook endpoints.')).toBeInTheDocument();
    expect(screen.queryByLabelText(/every account on this instance/)).toBeNull();

    await user.type(screen.getByLabelText('Endpoint URL'), 'https://localhost/hook');
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    expect(await screen.findByText(/private, loopback or link-local/)).toBeInTheDocument();

    await user.clear(screen.getByLabelText('Endpoint URL'));
    await user.type(screen.getByLabelText('Endpoint URL'), 'https://crm.example.com/hooks/parley');
    await user.click(screen.getByLabelText('Conversation deleted'));
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    const secret = await screen.findByLabelText(/Signing secret/);
    expect(secret).toHaveValue('whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0');
    expect(stub.calls.filter((c) => c.method === 'POST').at(-1)!.body).toEqual({
      url: 'https://crm.example.com/hooks/parley',
      events: ['call.ended', 'conversation.deleted'],
      scope: 'user',
    });
    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByLabelText(/Signing secret/)).toBeNull();

    const item = (await screen.findByText('https://crm.example.com/hooks/parley')).closest('li')!;
    await user.click(within(item).getByRole('button', { name: 'Deliveries' }));
    const log = await within(item).findByRole('list', { name: 'Deliveries' });
    expect(log).toHaveTextContent('Pending');
    expect(log).toHaveTextContent('Attempts: 3');
    expect(log).toHaveTextContent('http_503');

    await user.click(within(item).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('No webhook endpoints.')).toBeInTheDocument();
  });

  it('shows the turned-off notice with a way to turn the endpoint back on', async () => {
    endpoints = [endpoint({ failingSince: '2025-05-06T10:00:00.000Z', disabledAt: '2025-05-09T10:02:00.000Z' })];
    render(<WebhooksSection isAdmin />);
    expect(await screen.findByText(/Turned off on .* because deliveries kept failing/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Turn back on' })).toBeInTheDocument();
    expect(screen.getByLabelText(/every account on this instance/)).toBeInTheDocument();
  });
});
