import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes } from 'react-router-dom';
import { RequireAdmin } from './auth/RequireAdmin';
import { RequireUser } from './auth/RequireUser';
import { Layout } from './components/Layout';
import { Loading } from './components/Loading';
import { LandingPage } from './pages/LandingPage';
import { SignedInPage } from './pages/SignedInPage';
import { NotFoundPage } from './pages/NotFoundPage';

/**
 * Every page but the landing page loads on demand, so the first load carries only React, the router,
 * i18next and English: the call page carries livekit-client, the account pages zod (through
 * @parley/protocol), log-in passkeys, sign-up the password meter. `preloadRoute` starts fetching the
 * opened page's chunk while the entry still runs (before /api/auth/me answers), so it is not a second
 * round trip after the first.
 */
const loaders = {
  login: () => import('./pages/LoginPage').then((m) => ({ default: m.LoginPage })),
  signup: () => import('./pages/SignUpPage').then((m) => ({ default: m.SignUpPage })),
  call: () => import('./call/CallPage'),
  settings: () => import('./pages/SettingsPage'),
  history: () => import('./pages/HistoryPage'),
  conversation: () => import('./pages/ConversationPage'),
  shared: () => import('./pages/SharedPage'),
  admin: () => import('./admin/AdminPage'),
  forgotPassword: () => import('./pages/ForgotPasswordPage').then((m) => ({ default: m.ForgotPasswordPage })),
  resetPassword: () => import('./pages/ResetPasswordPage').then((m) => ({ default: m.ResetPasswordPage })),
  verifyEmail: () => import('./pages/VerifyEmailPage').then((m) => ({ default: m.VerifyEmailPage })),
};

/** The page chunk a path opens (the first path segment), if it has one. */
const CHUNK_OF: Record<string, keyof typeof loaders> = {
  login: 'login',
  signup: 'signup',
  call: 'call',
  guest: 'call',
  settings: 'settings',
  history: 'history',
  s: 'shared',
  admin: 'admin',
  'forgot-password': 'forgotPassword',
  'reset-password': 'resetPassword',
  'verify-email': 'verifyEmail',
};

/** Starts loading the chunk of the page at `pathname` (a failed load is retried, and shown, by its route). */
export function preloadRoute(pathname: string): void {
  const [first, second] = pathname.split('/').filter(Boolean);
  const chunk = first === 'history' && second ? 'conversation' : first ? CHUNK_OF[first] : undefined;
  if (chunk) loaders[chunk]().catch(() => undefined);
}

const LoginPage = lazy(loaders.login);
const SignUpPage = lazy(loaders.signup);
const CallPage = lazy(loaders.call);
const SettingsPage = lazy(loaders.settings);
const HistoryPage = lazy(loaders.history);
const ConversationPage = lazy(loaders.conversation);
const SharedPage = lazy(loaders.shared);
const AdminPage = lazy(loaders.admin);
const ForgotPasswordPage = lazy(loaders.forgotPassword);
const ResetPasswordPage = lazy(loaders.resetPassword);
const VerifyEmailPage = lazy(loaders.verifyEmail);

const page = (node: ReactNode) => <Suspense fallback={<Loading />}>{node}</Suspense>;

export function App() {
  return (
    <Routes>
      {/* Outside the layout: a shared conversation has no navigation into an account. */}
      <Route path="s/:token" element={page(<SharedPage />)} />
      <Route element={<Layout />}>
        <Route index element={<LandingPage />} />
        <Route path="login" element={page(<LoginPage />)} />
        <Route path="signup" element={page(<SignUpPage />)} />
        <Route path="signed-in" element={<SignedInPage />} />
        <Route path="forgot-password" element={page(<ForgotPasswordPage />)} />
        <Route path="reset-password" element={page(<ResetPasswordPage />)} />
        <Route path="verify-email" element={page(<VerifyEmailPage />)} />
        <Route path="call" element={<RequireUser>{page(<CallPage guest={false} />)}</RequireUser>} />
        <Route path="guest" element={page(<CallPage guest />)} />
        <Route path="settings" element={<RequireUser>{page(<SettingsPage />)}</RequireUser>} />
        <Route path="history" element={<RequireUser>{page(<HistoryPage />)}</RequireUser>} />
        <Route path="history/:id" element={<RequireUser>{page(<ConversationPage />)}</RequireUser>} />
        <Route path="admin" element={<RequireAdmin>{page(<AdminPage />)}</RequireAdmin>} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
