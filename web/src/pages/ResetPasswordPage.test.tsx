import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { fetchStub } from '../../test/fixtures';
import { ForgotPasswordPage } from './ForgotPasswordPage';
import { ResetPasswordPage } from './ResetPasswordPage';

const TOKEN = 'tok_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

function open(url: string) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/reset-password" element={<ResetPasswordPage />} />
        <Route path="/forgot-password" element={<ForgotPasswordPage />} />
        <Route path="/login" element={<h1>Log in page</h1>} />
      </Routes>
    </MemoryRouter>,
  );
}

const err = (status: number, code: string, message: string, details?: unknown) => ({
  status,
  body: { error: { code, message, details } },
});

describe('reset-password page (the emailed link)', () => {
  it('sends the token from the fragment with the new password, then asks for a code when two-step sign-in is on', async () => {
    let attempts = 0;
    const stub = fetchStub({
      'POST /api/auth/password-reset': () =>
        ++attempts === 1
          ? err(401, 'second_factor_required', 'Enter a code from your authenticator app or a backup code.')
          : { status: 204 },
    });
    vi.stubGlobal('fetch', stub.fn);
    open(`/reset-password#token=${TOKEN}`);
    const user = userEvent.setup();
    expect(screen.getByRole('heading', { name: 'Choose a new password' })).toBeInTheDocument();
    await user.type(screen.getByLabelText('New password'), 'password123');
    // The server's rules as a meter while typing (the same verdict as sign-up's).
    expect(await screen.findByTestId('password-strength')).toHaveTextContent('Password strength: Too easy to guess');
    await user.clear(screen.getByLabelText('New password'));
    await user.type(screen.getByLabelText('New password'), 'a brand new lantern 77');
    await screen.findByText('Password strength: Strong');
    await user.click(screen.getByRole('button', { name: 'Set new password' }));

    // The server wants the second factor: the page asks for it and keeps the password typed.
    expect(await screen.findByText(/two-step sign-in on/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Use a backup code instead' }));
    await user.type(screen.getByLabelText('Backup code'), 'abcde-12345');
    await user.click(screen.getByRole('button', { name: 'Set new password' }));

    expect(await screen.findByText(/Your password was changed and every session was signed out/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Log in' })).toHaveAttribute('href', '/login');
    expect(stub.calls.map((c) => c.body)).toEqual([
      { token: TOKEN, newPassword: 'a brand new lantern 77' },
      { token: TOKEN, newPassword: 'a brand new lantern 77', backupCode: 'abcde-12345' },
    ]);
  });

  it('says the link is no longer valid and offers a new one', async () => {
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'POST /api/auth/password-reset': () =>
          err(400, 'invalid_token', 'This link is not valid any more. Ask for a new one.'),
      }).fn,
    );
    open(`/reset-password#token=${TOKEN}`);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('New password'), 'a brand new lantern 77');
    await user.click(screen.getByRole('button', { name: 'Set new password' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This link is not valid any more.');
    expect(screen.queryByLabelText('New password')).toBeNull();
    await user.click(screen.getByRole('link', { name: 'Ask for a new link' }));
    expect(screen.getByRole('heading', { name: 'Reset your password' })).toBeInTheDocument();
  });

  it('shows the server’s reason for a weak password beside the field', async () => {
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'POST /api/auth/password-reset': () =>
          err(400, 'weak_password', 'Choose a stronger password.', [
            { path: 'newPassword', message: 'This password is too common.' },
          ]),
      }).fn,
    );
    open(`/reset-password#token=${TOKEN}`);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('New password'), 'password123');
    await user.click(screen.getByRole('button', { name: 'Set new password' }));
    expect(await screen.findByText('This password is too common.')).toBeInTheDocument();
    expect(screen.getByLabelText('New password')).toHaveAttribute('aria-invalid', 'true');
  });

  it('without a token explains where the link comes from', () => {
    vi.stubGlobal('fetch', fetchStub({}).fn);
    open('/reset-password');
    expect(screen.getByRole('alert')).toHaveTextContent('This page needs the link from your email.');
  });
});

describe('forgot-password page', () => {
  it('answers the same whatever the address, and says how long the link works', async () => {
    const stub = fetchStub({ 'POST /api/auth/password-reset/request': () => ({ status: 202 }) });
    vi.stubGlobal('fetch', stub.fn);
    open('/forgot-password');
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'ana@example.com');
    await user.click(screen.getByRole('button', { name: 'Send reset link' }));
    expect(await screen.findByRole('status')).toHaveTextContent(
      'If an account uses ana@example.com, a link to reset its password is on its way. It works for 30 minutes.',
    );
    expect(stub.calls[0]?.body).toEqual({ email: 'ana@example.com' });
  });
});
