import { startTransition, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App, preloadRoute } from './App';
import { AuthProvider } from './auth/AuthContext';
import { ErrorBoundary } from './components/ErrorBoundary';
import { initialLanguage, setUiLanguage } from './i18n';
import { LanguageSync } from './i18n/LanguageSync';
import { firstLoad, startFirstLoad } from './lib/firstLoad';
import './styles/base.css';

// The opened page's chunk is fetched alongside the entry's work, not after /api/auth/me.
preloadRoute(window.location.pathname);

// The page opens in the language it will show (its catalogue loaded first), so no English flashes by,
// and with the header and the note above the page as they will stay: who is signed in and the
// server's speech engines are asked meanwhile and waited for, at most FIRST_LOAD_CAP_MS (see firstLoad.ts).
const FIRST_LOAD_CAP_MS = 800;
await Promise.all([
  setUiLanguage(initialLanguage(), { remember: false }).catch(() => undefined),
  // A shared conversation (/s/…) is outside the layout: it shows neither.
  window.location.pathname.startsWith('/s/') ? undefined : startFirstLoad(FIRST_LOAD_CAP_MS),
]);

// As a transition, React renders the first screen in slices of a few milliseconds with the browser
// free in between, instead of one long task that blocks input while the page starts.
const root = createRoot(document.getElementById('root')!);
startTransition(() =>
  root.render(
    <StrictMode>
      <BrowserRouter>
        <AuthProvider early={firstLoad()?.me}>
          <LanguageSync />
          {/* The pages outside the layout (a shared conversation) and the layout itself. */}
          <ErrorBoundary>
            <App />
          </ErrorBoundary>
        </AuthProvider>
      </BrowserRouter>
    </StrictMode>,
  ),
);
