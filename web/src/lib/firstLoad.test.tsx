import { act, render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const USER = {
  id: '0b6f4c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e',
  email: 'ada@example.com',
  displayName: 'Ada',
  role: 'user',
  emailVerified: true,
};
const PROVIDERS = { stt: 'local', llm: 'offline', tts: 'local', unavailable: [], missingEngines: [], degraded: [] };

/**
 * The server: /api/auth/me and /api/providers answered after `delayMs` (me with `meStatus`), through the
 * client's real fetch path; returns the paths asked, in order.
 */
function serve({ delayMs = 0, meStatus = 200 }: { delayMs?: number; meStatus?: number } = {}) {
  const asked: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string) => {
      asked.push(path);
      await new Promise((r) => setTimeout(r, delayMs));
      const json = (status: number, body: unknown) =>
        new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
      if (path === '/api/auth/me')
        return meStatus === 200
          ? json(200, { user: USER })
          : json(meStatus, { error: { code: 'unavailable', message: 'The server is starting.' } });
      if (path === '/api/providers') return json(200, PROVIDERS);
      return json(404, { error: { code: 'not_found', message: 'no' } });
    }),
  );
  return asked;
}

/** A fresh page load: firstLoad's state is per page (module), so each test imports anew. */
async function page() {
  vi.resetModules();
  const { startFirstLoad, firstLoad } = await import('./firstLoad');
  const { AuthProvider, useAuth } = await import('../auth/AuthContext');
  const { ProvidersBanner } = await import('../components/ProvidersBanner');
  function Header() {
    const { user, loadError } = useAuth();
    return (
      <p data-testid="who">{user ? user.displayName : user === null ? `anonymous ${loadError ?? ''}` : 'asking'}</p>
    );
  }
  const mount = () =>
    render(
      <AuthProvider early={firstLoad()?.me}>
        <Header />
        <ProvidersBanner />
      </AuthProvider>,
    );
  return { startFirstLoad, mount };
}

describe('the first screen waits for who is signed in and the providers note', { timeout: 30_000 }, () => {
  beforeEach(() => localStorage.setItem('parley.session', '1'));

  it('shows both in its first render when they answered in time, and asks each once', async () => {
    const asked = serve({ delayMs: 20 });
    const { startFirstLoad, mount } = await page();
    await startFirstLoad(2_000);
    mount();
    // No waiting: the first render already has them (nothing appears above the page later).
    expect(screen.getByTestId('who').textContent).toBe('Ada');
    expect(screen.getByRole('note').textContent).toContain('Offline voice mode.');
    await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(asked).toEqual(['/api/auth/me', '/api/providers']);
  });

  it('renders after the cap when the server is slower, then fills in from the same requests', async () => {
    const asked = serve({ delayMs: 300 });
    const { startFirstLoad, mount } = await page();
    const t0 = Date.now();
    await startFirstLoad(50);
    expect(Date.now() - t0).toBeLessThan(250);
    mount();
    expect(screen.getByTestId('who').textContent).toBe('asking');
    expect(screen.queryByRole('note')).toBeNull();
    expect((await screen.findByRole('note')).textContent).toContain('Offline voice mode.');
    expect(screen.getByTestId('who').textContent).toBe('Ada');
    expect(asked).toEqual(['/api/auth/me', '/api/providers']);
  });

  it('shows the server error of an early /api/auth/me in the first render', async () => {
    serve({ meStatus: 503 });
    const { startFirstLoad, mount } = await page();
    await startFirstLoad(2_000);
    mount();
    expect(screen.getByTestId('who').textContent).toBe('anonymous The server is starting.');
  });
});
