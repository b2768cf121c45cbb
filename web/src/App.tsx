import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router-dom';
import { RequireAdmin } from './auth/RequireAdmin';
import { RequireUser } from './auth/RequireUser';
import { Layout } from './components/Layout';
import { Loading } from './components/Loading';
import { LandingPage } from './pages/LandingPage';
import { LoginPage } from './pages/LoginPage';
import { SignUpPage } from './pages/SignUpPage';
import { SignedInPage } from './pages/SignedInPage';
import { NotFoundPage } from './pages/NotFoundPage';

// Everything past the front door loads on demand: the call page carries livekit-client, the
// account pages carry zod (through @parley/protocol). Landing, login and sign-up stay small.
const CallPage = lazy(() => import('./call/CallPage'));
const SettingsPage = lazy(() => import('./pages/SettingsPage'));
const HistoryPage = lazy(() => import('./pages/HistoryPage'));
const ConversationPage = lazy(() => import('./pages/ConversationPage'));
const SharedPage = lazy(() => import('./pages/SharedPage'));
const AdminPage = lazy(() => import('./admin/AdminPage'));
const ForgotPasswordPage = lazy(() =>
  import('./pages/ForgotPasswordPage').then((m) => ({ default: m.ForgotPasswordPage })),
);
const ResetPasswordPage = lazy(() =>
  import('./pages/ResetPasswordPage').then((m) => ({ default: m.ResetPasswordPage })),
);
const VerifyEmailPage = lazy(() => import('./pages/VerifyEmailPage').then((m) => ({ default: m.VerifyEmailPage })));

export function App() {
  return (
    <Routes>
      {/* Outside the layout: a shared conversation has no navigation into an account. */}
      <Route
        path="s/:token"
        element={
          <Suspense fallback={<Loading />}>
            <SharedPage />
          </Suspense>
        }
      />
      <Route element={<Layout />}>
        <Route index element={<LandingPage />} />
        <Route path="login" element={<LoginPage />} />
        <Route path="signup" element={<SignUpPage />} />
        <Route path="signed-in" element={<SignedInPage />} />
        <Route
          path="forgot-password"
          element={
            <Suspense fallback={<Loading />}>
              <ForgotPasswordPage />
            </Suspense>
          }
        />
        <Route
          path="reset-password"
          element={
            <Suspense fallback={<Loading />}>
              <ResetPasswordPage />
            </Suspense>
          }
        />
        <Route
          path="verify-email"
          element={
            <Suspense fallback={<Loading />}>
              <VerifyEmailPage />
            </Suspense>
          }
        />
        <Route
          path="call"
          element={
            <RequireUser>
              <Suspense fallback={<Loading />}>
                <CallPage guest={false} />
              </Suspense>
            </RequireUser>
          }
        />
        <Route
          path="guest"
          element={
            <Suspense fallback={<Loading />}>
              <CallPage guest />
            </Suspense>
          }
        />
        <Route
          path="settings"
          element={
            <RequireUser>
              <Suspense fallback={<Loading />}>
                <SettingsPage />
              </Suspense>
            </RequireUser>
          }
        />
        <Route
          path="history"
          element={
            <RequireUser>
              <Suspense fallback={<Loading />}>
                <HistoryPage />
              </Suspense>
            </RequireUser>
          }
        />
        <Route
          path="history/:id"
          element={
            <RequireUser>
              <Suspense fallback={<Loading />}>
                <ConversationPage />
              </Suspense>
            </RequireUser>
          }
        />
        <Route
          path="admin"
          element={
            <RequireAdmin>
              <Suspense fallback={<Loading />}>
                <AdminPage />
              </Suspense>
            </RequireAdmin>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
