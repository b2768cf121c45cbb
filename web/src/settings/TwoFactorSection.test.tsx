import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { fetchStub } from '../../test/fixtures';
import type { User } from '../api/auth';
import { AuthProvider } from '../auth/AuthContext';
import { TwoFactorSection } from './TwoFactorSection';

const USER: User = {
  id: '22222222-2222-4222-8222-222222222222',
  email: 'ana@example.com',
  displayName: 'Ana',
  role: 'user',
  emailVerified: true,
};
const CODES = Array.from({ length: 10 }, (_, i) => `code${i}-abcde`);
const QR = 'data:image/svg+xml;base64,PHN2Zy8+';

function open(user: User = USER) {
  return render(
    <MemoryRouter>
      <AuthProvider initialUser={user}>
        <TwoFactorSection />
      </AuthProvider>
    </MemoryRouter>,
  );
}

describe('Settings → two-step sign-in', () => {
  it('sets up an authenticator: QR code and key, confirm with a code, backup codes shown once', async () => {
    let enabled = false;
    const stub = fetchStub({
      'GET /api/me/two-factor': () => ({ body: { enabled, backupCodesLeft: enabled ? 10 : 0 } }),
      'POST /api/me/two-factor/setup': () => ({
        body: {
          secret: 'JBSWY3DPEHPK3PXP',
          otpauthUri: 'otpauth://totp/Parley:ana?secret=JBSWY3DPEHPK3PXP',
          qrCode: QR,
        },
      }),
      'POST /api/me/two-factor/enable': () => {
        enabled = true;
        return { body: { backupCodes: CODES } };
      },
    });
    vi.stubGlobal('fetch', stub.fn);
    open();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Set up two-step sign-in' }));

    const qr = await screen.findByRole('img', { name: 'QR code for your authenticator app' });
    expect(qr).toHaveAttribute('src', QR);
    expect(screen.getByText('JBSWY3DPEHPK3PXP')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Authenticator code'), '123 456');
    await user.click(screen.getByRole('button', { name: 'Turn on' }));

    const box = await screen.findByRole('region', { name: 'Your backup codes' });
    expect(
      within(box)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(CODES);
    expect(await screen.findByText('Backup codes left: 10.')).toBeInTheDocument();
    expect(stub.calls.find((c) => c.url.pathname === '/api/me/two-factor/enable')?.body).toEqual({ code: '123456' });

    // Once put away, the codes are gone from the page.
    await user.click(within(box).getByRole('button', { name: 'I have saved them' }));
    expect(screen.queryByRole('region', { name: 'Your backup codes' })).toBeNull();
    expect(screen.queryByText(CODES[0]!)).toBeNull();
  });

  it('keeps the set-up open and says so when the code is wrong', async () => {
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'GET /api/me/two-factor': () => ({ body: { enabled: false, backupCodesLeft: 0 } }),
        'POST /api/me/two-factor/setup': () => ({ body: { secret: 'S', otpauthUri: 'otpauth://x', qrCode: QR } }),
        'POST /api/me/two-factor/enable': () => ({
          status: 401,
          body: { error: { code: 'invalid_code', message: 'That code is not valid.' } },
        }),
      }).fn,
    );
    open();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Set up two-step sign-in' }));
    await user.type(await screen.findByLabelText('Authenticator code'), '000000');
    await user.click(screen.getByRole('button', { name: 'Turn on' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That code is not valid.');
    expect(screen.getByRole('img', { name: 'QR code for your authenticator app' })).toBeInTheDocument();
    expect(screen.getByLabelText('Authenticator code')).toHaveValue('');
  });

  it('turns off with the password and a backup code', async () => {
    let enabled = true;
    const stub = fetchStub({
      'GET /api/me/two-factor': () => ({ body: { enabled, backupCodesLeft: enabled ? 7 : 0 } }),
      'POST /api/me/two-factor/disable': () => {
        enabled = false;
        return { status: 204 };
      },
    });
    vi.stubGlobal('fetch', stub.fn);
    open();
    const user = userEvent.setup();
    expect(await screen.findByText('Backup codes left: 7.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Turn off' }));
    await user.type(screen.getByLabelText('Password'), 'my old password 1');
    await user.click(screen.getByRole('button', { name: 'Use a backup code instead' }));
    await user.type(screen.getByLabelText('Backup code'), 'abcde-12345');
    await user.click(screen.getByRole('button', { name: 'Turn off' }));
    expect(await screen.findByText('Two-step sign-in is off.')).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Set up two-step sign-in' })).toBeInTheDocument();
    expect(stub.calls.find((c) => c.url.pathname === '/api/me/two-factor/disable')?.body).toEqual({
      password: 'my old password 1',
      backupCode: 'abcde-12345',
    });
  });

  it('asks to confirm the email address before set-up, and resends the link', async () => {
    const stub = fetchStub({
      'GET /api/me/two-factor': () => ({ body: { enabled: false, backupCodesLeft: 0 } }),
      'POST /api/auth/verify-email/resend': () => ({ status: 202 }),
    });
    vi.stubGlobal('fetch', stub.fn);
    open({ ...USER, emailVerified: false });
    const user = userEvent.setup();
    expect(await screen.findByText(/Confirm your email address \(ana@example.com\)/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Set up two-step sign-in' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Send a new link' }));
    expect(await screen.findByText('A new link is on its way to ana@example.com.')).toBeInTheDocument();
  });
});
