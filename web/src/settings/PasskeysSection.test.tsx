import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchStub } from '../../test/fixtures';
import { PasskeysSection } from './PasskeysSection';

// jsdom has no WebAuthn: the browser's passkey dialog is stood in for; everything else is the real client.
const browser = vi.hoisted(() => ({
  startRegistration: vi.fn(),
  startAuthentication: vi.fn(),
  browserSupportsWebAuthn: vi.fn(() => true),
}));
vi.mock('@simplewebauthn/browser', () => browser);

const OPTIONS = { challenge: 'c2VydmVyLWNoYWxsZW5nZQ', rp: { id: 'parley.test', name: 'Parley' } };
const CREDENTIAL = {
  id: 'Y3JlZA',
  rawId: 'Y3JlZA',
  type: 'public-key',
  response: { clientDataJSON: 'e30', attestationObject: 'o2Nm' },
  clientExtensionResults: {},
};
const KEY = {
  id: '33333333-3333-4333-8333-333333333333',
  name: 'Chrome on Linux',
  createdAt: '2025-01-01T10:00:00.000Z',
  lastUsedAt: null,
  backedUp: false,
};

describe('Settings → passkeys', () => {
  beforeEach(() => {
    browser.startRegistration.mockReset();
    browser.browserSupportsWebAuthn.mockReturnValue(true);
  });

  it('adds a passkey: the server’s options go to the browser, its answer back to the server', async () => {
    let keys: (typeof KEY)[] = [];
    const stub = fetchStub({
      'GET /api/me/passkeys': () => ({ body: { passkeys: keys } }),
      'POST /api/me/passkeys/registration-options': () => ({ body: { options: OPTIONS } }),
      'POST /api/me/passkeys': () => {
        keys = [KEY];
        return { status: 201, body: { passkey: KEY } };
      },
      [`DELETE /api/me/passkeys/${KEY.id}`]: () => {
        keys = [];
        return { status: 204 };
      },
    });
    vi.stubGlobal('fetch', stub.fn);
    browser.startRegistration.mockResolvedValue(CREDENTIAL);
    render(<PasskeysSection />);
    const user = userEvent.setup();
    expect(await screen.findByText('No passkey yet.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Add a passkey' }));
    expect(await screen.findByText('Passkey added.')).toBeInTheDocument();
    expect(await screen.findByText('Chrome on Linux')).toBeInTheDocument();
    expect(screen.getByText(/never used/)).toBeInTheDocument();
    expect(browser.startRegistration).toHaveBeenCalledWith({ optionsJSON: OPTIONS });
    expect(stub.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/me/passkeys')?.body).toEqual({
      credential: CREDENTIAL,
    });

    await user.click(screen.getByRole('button', { name: 'Remove passkey Chrome on Linux' }));
    expect(await screen.findByText('Passkey removed.')).toBeInTheDocument();
    expect(await screen.findByText('No passkey yet.')).toBeInTheDocument();
  });

  it('says so when the dialog is cancelled, and sends nothing to the server', async () => {
    const stub = fetchStub({
      'GET /api/me/passkeys': () => ({ body: { passkeys: [] } }),
      'POST /api/me/passkeys/registration-options': () => ({ body: { options: OPTIONS } }),
    });
    vi.stubGlobal('fetch', stub.fn);
    browser.startRegistration.mockRejectedValue(Object.assign(new Error('cancelled'), { name: 'NotAllowedError' }));
    render(<PasskeysSection />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Add a passkey' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The passkey request was cancelled or timed out.');
    expect(stub.calls.some((c) => c.method === 'POST' && c.url.pathname === '/api/me/passkeys')).toBe(false);
  });

  it('shows the server’s refusal of the answer', async () => {
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'GET /api/me/passkeys': () => ({ body: { passkeys: [] } }),
        'POST /api/me/passkeys/registration-options': () => ({ body: { options: OPTIONS } }),
        'POST /api/me/passkeys': () => ({
          status: 400,
          body: { error: { code: 'passkey_failed', message: 'The passkey could not be verified. Try again.' } },
        }),
      }).fn,
    );
    browser.startRegistration.mockResolvedValue(CREDENTIAL);
    render(<PasskeysSection />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Add a passkey' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The passkey could not be verified. Try again.');
  });

  it('explains when the browser cannot use passkeys', async () => {
    browser.browserSupportsWebAuthn.mockReturnValue(false);
    vi.stubGlobal('fetch', fetchStub({ 'GET /api/me/passkeys': () => ({ body: { passkeys: [] } }) }).fn);
    render(<PasskeysSection />);
    expect(await screen.findByText('This browser cannot use passkeys.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add a passkey' })).toBeNull();
  });
});
