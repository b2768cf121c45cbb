import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import type { AdminAuditEvent, AdminConversation, AdminUsage, AdminUser } from '../api/admin';
import { fetchStub } from '../../test/fixtures';
import { AuthProvider } from '../auth/AuthContext';
import { RequireAdmin } from '../auth/RequireAdmin';
import { Layout } from '../components/Layout';
import AdminPage from './AdminPage';

const ADMIN = {
  id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  email: 'root@example.com',
  displayName: 'Root',
  role: 'admin' as const,
  emailVerified: true,
};
const ZOE: AdminUser = {
  id: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
  email: 'zoe@example.com',
  displayName: 'Zoe',
  role: 'user',
  createdAt: '2025-01-02T10:00:00.000Z',
  disabledAt: null,
  quotaMinutesPerDay: null,
  maxCallSeconds: null,
};
const SELF: AdminUser = { ...ZOE, id: ADMIN.id, email: ADMIN.email, displayName: 'Root', role: 'admin' };

function page(user: object | null, path = '/admin') {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AuthProvider initialUser={user as never}>
        <Routes>
          <Route element={<Layout />}>
            <Route
              path="admin"
              element={
                <RequireAdmin>
                  <AdminPage />
                </RequireAdmin>
              }
            />
            <Route path="*" element={<p>elsewhere</p>} />
          </Route>
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );
}

describe('admin console', () => {
  it('is the ordinary not-found page for a signed-in user and for nobody, with no header link', async () => {
    vi.stubGlobal('fetch', fetchStub({}).fn);
    const { unmount } = page({ ...ADMIN, role: 'user' });
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Page not found');
    expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
    unmount();
    page(null);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Page not found');
    expect(screen.queryByRole('link', { name: 'Log in' })).toBeInTheDocument(); // the header, not a redirect
  });

  it('finds a user, changes their limits, disables them and deletes them after typing the email', async () => {
    let zoe = ZOE;
    const stub = fetchStub({
      'GET /api/admin/users': (url) => {
        const q = url.searchParams.get('q');
        const users = [SELF, zoe].filter((u) => !q || u.email.includes(q));
        return { body: { users, total: users.length } };
      },
      [`PATCH /api/admin/users/${ZOE.id}`]: (_url, init) => {
        zoe = { ...zoe, ...JSON.parse(String(init.body)) };
        return { body: { user: zoe } };
      },
      [`POST /api/admin/users/${ZOE.id}/disable`]: () => {
        zoe = { ...zoe, disabledAt: '2025-02-01T00:00:00.000Z' };
        return { body: { user: zoe } };
      },
      [`DELETE /api/admin/users/${ZOE.id}`]: () => ({ status: 204 }),
    });
    vi.stubGlobal('fetch', stub.fn);
    page(ADMIN);
    const user = userEvent.setup();
    expect(screen.getByRole('link', { name: 'Admin' })).toHaveAttribute('href', '/admin');
    expect(await screen.findByRole('heading', { name: 'Administration' })).toBeInTheDocument();
    // No disable or delete for the admin's own account.
    const self = await screen.findByRole('listitem', { name: ADMIN.email });
    expect(within(self).queryByRole('button', { name: 'Disable' })).toBeNull();

    await user.type(screen.getByLabelText('Search by email or name'), 'zoe');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(screen.queryByRole('listitem', { name: ADMIN.email })).toBeNull());
    expect(stub.calls.at(-1)!.url.searchParams.get('q')).toBe('zoe');
    const card = screen.getByRole('listitem', { name: ZOE.email });

    await user.click(within(card).getByRole('button', { name: 'Role and limits' }));
    await user.type(within(card).getByLabelText('Minutes per day'), '30');
    await user.type(within(card).getByLabelText('Longest call (seconds)'), '600');
    await user.click(within(card).getByRole('button', { name: 'Save' }));
    expect(await within(card).findByText('30 min')).toBeInTheDocument();
    expect(within(card).getByText('600 s')).toBeInTheDocument();
    expect(stub.calls.find((c) => c.method === 'PATCH')!.body).toEqual({
      quotaMinutesPerDay: 30,
      maxCallSeconds: 600,
    });

    await user.click(within(card).getByRole('button', { name: 'Disable' }));
    expect(await within(card).findByText('disabled')).toBeInTheDocument();
    expect(within(card).getByRole('button', { name: 'Enable' })).toBeInTheDocument();

    await user.click(within(card).getByRole('button', { name: 'Delete…' }));
    const confirm = within(card).getByRole('button', { name: 'Delete the account' });
    expect(confirm).toBeDisabled();
    await user.type(within(card).getByLabelText('Email of the account'), 'ZOE@example.com');
    await user.click(confirm);
    expect(await screen.findByText('zoe@example.com was deleted.')).toBeInTheDocument();
    expect(stub.calls.some((c) => c.method === 'DELETE')).toBe(true);
  });

  it('shows the server’s code for a refused change', async () => {
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'GET /api/admin/users': () => ({ body: { users: [ZOE], total: 1 } }),
        [`PATCH /api/admin/users/${ZOE.id}`]: () => ({
          status: 400,
          body: { error: { code: 'validation_failed', message: 'maxCallSeconds: Too big.' } },
        }),
      }).fn,
    );
    page(ADMIN);
    const user = userEvent.setup();
    const card = await screen.findByRole('listitem', { name: ZOE.email });
    await user.click(within(card).getByRole('button', { name: 'Role and limits' }));
    await user.type(within(card).getByLabelText('Longest call (seconds)'), '5');
    await user.click(within(card).getByRole('button', { name: 'Save' }));
    expect(await within(card).findByRole('alert')).toHaveTextContent('maxCallSeconds: Too big.');
  });

  it('lists conversations as metadata only, the month’s usage and cost, and filtered audit events', async () => {
    const conv: AdminConversation = {
      id: 'cccccccc-cccc-4ccc-8ccc-cccccccccccc',
      userId: ZOE.id,
      userEmail: ZOE.email,
      status: 'ended',
      language: 'en',
      createdAt: '2025-01-03T10:00:00.000Z',
      startedAt: '2025-01-03T10:00:01.000Z',
      endedAt: '2025-01-03T10:02:31.000Z',
      durationMs: 150_000,
      turnCount: 6,
      endReason: 'caller_left',
    };
    const usage: AdminUsage = {
      month: '2025-01',
      currency: 'USD',
      users: [
        {
          userId: ZOE.id,
          email: ZOE.email,
          calls: 1,
          minutes: 2.5,
          sttAudioSeconds: 60,
          llmPromptTokens: 1200,
          llmCompletionTokens: 300,
          ttsCharacters: 900,
          costUsd: 0.1234,
          unpriced: false,
        },
      ],
    };
    const event: AdminAuditEvent = {
      id: '9',
      type: 'admin_user_disabled',
      at: '2025-01-04T10:00:00.000Z',
      actorId: ADMIN.id,
      actorEmail: ADMIN.email,
      actorPseudonym: null,
      targetId: null,
      targetEmail: null,
      targetPseudonym: 'deleted-user-0123456789ab',
      ip: '203.0.113.x',
      details: {},
    };
    const stub = fetchStub({
      'GET /api/admin/users': () => ({ body: { users: [ZOE], total: 1 } }),
      'GET /api/admin/conversations': () => ({ body: { conversations: [conv], total: 1 } }),
      'GET /api/admin/usage': () => ({ body: usage }),
      'GET /api/admin/audit': () => ({ body: { events: [event], total: 1 } }),
    });
    vi.stubGlobal('fetch', stub.fn);
    page(ADMIN);
    const user = userEvent.setup();
    const nav = screen.getByRole('navigation', { name: 'Admin sections' });

    await user.click(within(nav).getByRole('button', { name: 'Conversations' }));
    const table = await screen.findByRole('table');
    expect(within(table).getByText('You hung up')).toBeInTheDocument();
    // The owner by email (breakable after @ . -), not by id.
    expect(
      within(table)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toContain(ZOE.email);
    expect(within(table).getByText('2 min 30 sec')).toBeInTheDocument();
    expect(screen.getByText(/titles and transcripts are not shown here/)).toBeInTheDocument();

    await user.click(within(nav).getByRole('button', { name: 'Usage and cost' }));
    await screen.findByRole('heading', { name: /Usage and cost · January 2025/ });
    const row = screen.getAllByRole('row').find((r) => r.textContent?.startsWith(ZOE.email))!;
    expect(within(row).getByText('$0.12')).toBeInTheDocument();
    expect(within(row).getByText('1,200 / 300')).toBeInTheDocument();

    await user.click(within(nav).getByRole('button', { name: 'Audit' }));
    expect(await screen.findByText('admin_user_disabled')).toBeInTheDocument();
    expect(screen.getByText('deleted account 0123456789ab')).toBeInTheDocument();
    expect(screen.getByText('203.0.113.x')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Actor'), ADMIN.email);
    await user.type(screen.getByLabelText('Event'), 'admin_user_disabled');
    await user.type(screen.getByLabelText('From'), '2025-01-01');
    await user.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(stub.calls.at(-1)!.url.searchParams.get('actor')).toBe(ADMIN.email));
    const asked = stub.calls.at(-1)!.url.searchParams;
    expect(asked.get('type')).toBe('admin_user_disabled');
    expect(new Date(asked.get('from')!).getDate()).toBe(1);
  });
});
