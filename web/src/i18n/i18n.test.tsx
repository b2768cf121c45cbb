import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchStub } from '../../test/fixtures';
import { AuthProvider } from '../auth/AuthContext';
import { Layout } from '../components/Layout';
import { LandingPage } from '../pages/LandingPage';
import { formatDuration, formatMs } from '../lib/format';
import { i18n, initialLanguage, setUiLanguage } from './index';
import { LanguageSync } from './LanguageSync';

const USER = {
  id: '22222222-2222-4222-8222-222222222222',
  email: 'ana@example.com',
  displayName: 'Ana',
  createdAt: '2025-01-01T00:00:00.000Z',
};

function page(initialUser: typeof USER | null) {
  return render(
    <MemoryRouter>
      <AuthProvider initialUser={initialUser as never}>
        <LanguageSync />
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<LandingPage />} />
          </Route>
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );
}

// Loading a catalogue chunk is slow on a busy machine.
describe('UI language', { timeout: 30_000 }, () => {
  afterEach(async () => {
    await i18n.changeLanguage('en');
    localStorage.clear();
  });

  it('lets a guest switch the whole page, <html lang> and the next visit', async () => {
    vi.stubGlobal('fetch', fetchStub({}).fn);
    page(null);
    const user = userEvent.setup();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Talk it through.');
    await user.selectOptions(screen.getByLabelText('Language'), 'es');
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Háblalo.'), {
      timeout: 10_000,
    });
    expect(screen.getByRole('link', { name: 'Iniciar sesión' })).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('es');
    expect(localStorage.getItem('parley.lang')).toBe('es');
    expect(initialLanguage()).toBe('es');
  });

  it('follows a signed-in user’s preferred language and shows their name instead of the switcher', async () => {
    const stub = fetchStub({
      'GET /api/me/preferences': () => ({
        body: { preferences: { ttsVoice: null, language: 'fr', favoriteTopics: [], systemPrompt: '' } },
      }),
    });
    vi.stubGlobal('fetch', stub.fn);
    page(USER);
    const nav = screen.getByRole('navigation');
    await waitFor(() => expect(within(nav).getByRole('link', { name: 'Historique' })).toBeInTheDocument(), {
      timeout: 10_000,
    });
    expect(document.documentElement.lang).toBe('fr');
    expect(within(nav).getByText('Connecté en tant que Ana')).toBeInTheDocument();
    expect(screen.queryByRole('combobox')).toBeNull();
  });

  it('takes the browser’s language when nothing was chosen', () => {
    vi.stubGlobal('navigator', { ...navigator, languages: ['pt-BR', 'en-US'], language: 'pt-BR' });
    expect(initialLanguage()).toBe('pt');
    vi.stubGlobal('navigator', { ...navigator, languages: ['sv-SE'], language: 'sv-SE' });
    expect(initialLanguage()).toBe('en');
  });

  it('formats durations and latencies with Intl in the UI language', async () => {
    expect(formatDuration(185_000)).toBe('3 min 5 sec');
    await setUiLanguage('de', { remember: false });
    expect(formatDuration(185_000)).toBe(
      new Intl.ListFormat('de', { style: 'narrow', type: 'unit' }).format([
        new Intl.NumberFormat('de', { style: 'unit', unit: 'minute', unitDisplay: 'short' }).format(3),
        new Intl.NumberFormat('de', { style: 'unit', unit: 'second', unitDisplay: 'short' }).format(5),
      ]),
    );
    expect(formatMs(840)).toBe('840 ms');
    expect(formatMs(1250)).toBe('1,3 Sek.');
  });
});
