import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App';
import { AuthProvider } from './auth/AuthContext';
import { ErrorBoundary } from './components/ErrorBoundary';
import { initialLanguage, setUiLanguage } from './i18n';
import { LanguageSync } from './i18n/LanguageSync';
import './styles/base.css';

// The page opens in the language it will show (its catalogue loaded first), so no English flashes by.
await setUiLanguage(initialLanguage(), { remember: false }).catch(() => undefined);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <AuthProvider>
        <LanguageSync />
        {/* The pages outside the layout (a shared conversation) and the layout itself. */}
        <ErrorBoundary>
          <App />
        </ErrorBoundary>
      </AuthProvider>
    </BrowserRouter>
  </StrictMode>,
);
