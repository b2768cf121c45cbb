import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fetchStub } from '../../test/fixtures';
import { SessionsSection } from './SessionsSection';

const HERE = {
  id: 'AAAAAAAAAAAAAAAAAAAAAA',
  current: true,
  createdAt: '2025-01-01T10:00:00.000Z',
  lastUsedAt: '2025-01-02T10:00:00.000Z',
  device: 'Chrome on Linux',
  ip: '203.0.113.x',
};
const PHONE = {
  id: 'BBBBBBBBBBBBBBBBBBBBBB',
  current: false,
  createdAt: '2025-01-01T08:00:00.000Z',
  lastUsedAt: '2025-01-01T09:00:00.000Z',
  device: 'Safari on iOS',
  ip: null,
};
const LAPTOP = { ...PHONE, id: 'CCCCCCCCCCCCCCCCCCCCCC', device: 'Firefox on Windows', ip: '198.51.100.x' };

describe('Settings → sessions and devices', () => {
  it('lists sessions with this device marked, signs one out, then every other', async () => {
    let sessions = [HERE, PHONE, LAPTOP];
    const stub = fetchStub({
      'GET /api/me/sessions': () => ({ body: { sessions } }),
      [`DELETE /api/me/sessions/${PHONE.id}`]: () => {
        sessions = sessions.filter((s) => s.id !== PHONE.id);
        return { status: 204 };
      },
      'POST /api/me/sessions/revoke-others': () => {
        sessions = [HERE];
        return { status: 204 };
      },
    });
    vi.stubGlobal('fetch', stub.fn);
    render(<SessionsSection />);
    const user = userEvent.setup();

    const items = await screen.findAllByRole('listitem');
    expect(items.map((li) => li.querySelector('strong')?.textContent)).toEqual([
      'Chrome on Linux',
      'Safari on iOS',
      'Firefox on Windows',
    ]);
    expect(within(items[0]!).getByText('This device')).toBeInTheDocument();
    expect(items[0]!.textContent).toContain('network 203.0.113.x');
    // The current session ends with "Log out" in the header, not here.
    expect(within(items[0]!).queryByRole('button')).toBeNull();
    expect(items[1]!.textContent).not.toContain('network');

    await user.click(screen.getByRole('button', { name: 'Sign out Safari on iOS' }));
    expect(await screen.findByText('That session was signed out.')).toBeInTheDocument();
    expect(screen.queryByText('Safari on iOS')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Log out everywhere else' }));
    expect(await screen.findByText('Every other session was signed out.')).toBeInTheDocument();
    expect(screen.getAllByRole('listitem')).toHaveLength(1);
    expect(screen.getByText('You are not signed in anywhere else.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Log out everywhere else' })).toBeDisabled();
    expect(stub.calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      'GET /api/me/sessions',
      `DELETE /api/me/sessions/${PHONE.id}`,
      'GET /api/me/sessions',
      'POST /api/me/sessions/revoke-others',
      'GET /api/me/sessions',
    ]);
  });

  it('shows the server’s error when a revoke fails', async () => {
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'GET /api/me/sessions': () => ({ body: { sessions: [HERE, PHONE] } }),
        [`DELETE /api/me/sessions/${PHONE.id}`]: () => ({
          status: 404,
          body: { error: { code: 'not_found', message: 'Session not found.' } },
        }),
      }).fn,
    );
    render(<SessionsSection />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Sign out Safari on iOS' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Session not found.');
  });
});
