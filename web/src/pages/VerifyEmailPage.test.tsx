import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { fetchStub } from '../../test/fixtures';
import { AuthProvider } from '../auth/AuthContext';
import type { User } from '../api/auth';
import { VerifyEmailPage } from './VerifyEmailPage';

const USER: User = {
  id: '22222222-2222-4222-8222-222222222222',
  email: 'ana@example.com',
  displayName: 'Ana',
  role: 'user',
  emailVerified: false,
};

function open(url: string, user: User | null) {
  return render(
    <StrictMode>
      <MemoryRouter initialEntries={[url]}>
        <AuthProvider initialUser={user}>
          <Routes>
            <Route path="/verify-email" element={<VerifyEmailPage />} />
          </Routes>
        </AuthProvider>
      </MemoryRouter>
    </StrictMode>,
  );
}

describe('verify-email page (the emailed link)', () => {
  it('confirms the address once (even in StrictMode) and refreshes the signed-in user', async () => {
    localStorage.setItem('parley.session', '1');
    const stub = fetchStub({
      'POST /api/auth/verify-email': () => ({ status: 204 }),
      'GET /api/auth/me': () => ({ body: { user: { ...USER, emailVerified: true } } }),
    });
    vi.stubGlobal('fetch', stub.fn);
    open('/verify-email#token=abc123', USER);
    expect(await screen.findByText('Your email address is confirmed.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Go to Settings' })).toHaveAttribute('href', '/settings');
    await waitFor(() => expect(stub.calls.some((c) => c.url.pathname === '/api/auth/me')).toBe(true));
    const posts = stub.calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toEqual({ token: 'abc123' });
    localStorage.clear();
  });

  it('says why a used link failed and lets a signed-in user ask for a new one', async () => {
    const stub = fetchStub({
      'POST /api/auth/verify-email': () => ({
        status: 400,
        body: { error: { code: 'invalid_token', message: 'This link is not valid any more. Ask for a new one.' } },
      }),
      'POST /api/auth/verify-email/resend': () => ({ status: 202 }),
    });
    vi.stubGlobal('fetch', stub.fn);
    open('/verify-email#token=used', USER);
    expect(await screen.findByRole('alert')).toHaveTextContent('This link is not valid any more.');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send a new link' }));
    expect(await screen.findByText('A new link is on its way to ana@example.com.')).toBeInTheDocument();
    expect(stub.calls.filter((c) => c.url.pathname === '/api/auth/verify-email/resend')).toHaveLength(1);
  });

  it('asks a signed-out reader to log in for a new link', async () => {
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'POST /api/auth/verify-email': () => ({
          status: 400,
          body: { error: { code: 'invalid_token', message: 'This link is not valid any more. Ask for a new one.' } },
        }),
      }).fn,
    );
    open('/verify-email#token=old', null);
    expect(await screen.findByText('Log in to ask for a new link.')).toBeInTheDocument();
  });
});
