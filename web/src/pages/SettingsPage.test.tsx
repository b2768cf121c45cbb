import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CATALOGUES } from '@parley/protocol/i18n';
import { fetchStub } from '../../test/fixtures';
import { AuthProvider } from '../auth/AuthContext';
import { ProvidersBanner } from '../components/ProvidersBanner';
import { i18n, setUiLanguage } from '../i18n';
import SettingsPage from './SettingsPage';

const USER = {
  id: '22222222-2222-4222-8222-222222222222',
  email: 'marta@example.com',
  displayName: 'Marta',
  role: 'user',
  createdAt: '2025-01-01T00:00:00.000Z',
};

function routes() {
  return fetchStub({
    'GET /api/me/preferences': () => ({
      body: {
        preferences: { ttsVoice: null, language: 'es', favoriteTopics: ['vela'], systemPrompt: '', memory: false },
      },
    }),
    'GET /api/voices': () => ({ body: { voices: [{ id: 'v1', name: 'Lucía', language: 'es' }] } }),
    'GET /api/languages': () => ({ body: { languages: [{ code: 'es', name: 'Spanish' }] } }),
    'GET /api/providers': () => ({
      body: {
        stt: 'local',
        llm: 'offline',
        tts: 'local',
        llmModel: 'parley-echo',
        unavailable: [],
        missingEngines: [],
        degraded: [],
      },
    }),
    'GET /api/auth/providers': () => ({
      body: { providers: [{ id: 'acme', displayName: 'Acme ID', startUrl: '/api/auth/oidc/acme/start' }] },
    }),
    'GET /api/me/identities': () => ({ body: { identities: [], hasPassword: true } }),
  });
}

// Loading a catalogue chunk is slow on a busy machine.
describe('Settings in the UI language', { timeout: 30_000 }, () => {
  afterEach(async () => {
    vi.unstubAllGlobals();
    await i18n.changeLanguage('en');
    localStorage.clear();
  });

  it('reads in Spanish: preferences, profile, password (with the strength meter), security, memory, links, tokens, data, banner', async () => {
    const es = await CATALOGUES.es();
    await setUiLanguage('es', { remember: false });
    vi.stubGlobal('fetch', routes().fn);
    render(
      <MemoryRouter initialEntries={['/settings?oidc_error=oidc_identity_in_use']}>
        <AuthProvider initialUser={USER as never}>
          <ProvidersBanner />
          <SettingsPage />
        </AuthProvider>
      </MemoryRouter>,
    );
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent(es.settings.title);
    await screen.findByRole('button', { name: es.settings.savePrefs });
    for (const name of [
      es.settings.prefsTitle,
      es.settings.profileTitle,
      es.settings.passwordTitle,
      es.settings.securityTitle,
      es.settings.dataTitle,
      es.settings.memoryTitle,
      es.settings.sharesTitle,
      es.settings.tokensTitle,
    ])
      expect(screen.getByRole('heading', { name })).toBeInTheDocument();
    expect(screen.getByLabelText(es.settings.voice)).toHaveDisplayValue(es.settings.defaultVoice);
    expect(screen.getByText(es.settings.topicsHint.replace('{{n}}', '1').replace('{{max}}', '10'))).toBeVisible();
    expect(screen.getByRole('button', { name: es.settings.removeTopic.replace('{{topic}}', 'vela') })).toBeVisible();
    expect(screen.getByRole('link', { name: es.settings.exportDownload })).toBeVisible();
    // Plural forms through Intl.PluralRules: "1 día", "30 días".
    const expiry = screen.getByLabelText(es.settings.tokenExpiry);
    expect(
      within(expiry).getByRole('option', { name: es.settings.tokenDays_other!.replace('{{count}}', '30') }),
    ).toBeInTheDocument();
    expect(within(expiry).getByRole('option', { name: es.settings.tokenNever })).toBeInTheDocument();
    // Each scope: its name as the server knows it, what it allows in Spanish.
    const scopes = screen.getByRole('group', { name: es.settings.tokenScopes });
    for (const [scope, text] of [
      ['history:read', es.settings.tokenScope.historyRead],
      ['export', es.settings.tokenScope.export],
      ['calls:start', es.settings.tokenScope.callsStart],
    ])
      expect(within(scopes).getByRole('checkbox', { name: `${scope} ${text}` })).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: es.settings.linkProvider.replace('{{provider}}', 'Acme ID') }),
    ).toBeVisible();
    // The provider error from ?oidc_error= in Spanish, under the Security heading.
    const security = screen.getByRole('heading', { name: es.settings.securityTitle }).closest('section')!;
    expect(within(security).getByRole('alert')).toHaveTextContent(es.oidc.oidc_identity_in_use);
    expect(within(security).getByRole('alert')).toHaveTextContent(es.settings.linkFailed);
    // The offline-mode banner, the engines named and joined the Spanish way.
    const note = await screen.findByRole('note');
    expect(note).toHaveTextContent(es.providers.offlineTitle);
    expect(note).toHaveTextContent(
      es.providers.local.replace(
        '{{what}}',
        new Intl.ListFormat('es', { type: 'conjunction' }).format([es.providers.localStt, es.providers.localTts]),
      ),
    );
    expect(note).toHaveTextContent(es.providers.echo);

    // Change password: the client's own checks in Spanish, and the server's rules as a meter, with the
    // signed-in user's email (marta@…) among the words a password must not contain.
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(es.account.newPassword), 'marta12345');
    await waitFor(() =>
      expect(screen.getByTestId('password-strength')).toHaveTextContent(
        es.password.strength.replace('{{label}}', es.password.containsEmail),
      ),
    );
    await user.click(screen.getByRole('button', { name: es.settings.changePassword }));
    expect(screen.getByText(es.settings.enterCurrent)).toBeVisible();
    expect(screen.getByText(es.settings.passwordsDiffer)).toBeVisible();
  });
});
