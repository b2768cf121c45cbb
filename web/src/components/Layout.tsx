import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { useAuth } from '../auth/AuthContext';
import { useActiveCall } from '../call/activeCall';
import { ErrorBoundary } from './ErrorBoundary';
import { LanguageSwitcher } from './LanguageSwitcher';
import { ProvidersBanner } from './ProvidersBanner';
import { RouteFocus } from './RouteFocus';

export function Layout() {
  const { t } = useTranslation();
  const { user, logout, loadError } = useAuth();
  const activeCall = useActiveCall();
  const navigate = useNavigate();
  const location = useLocation();
  const onLogout = async () => {
    await logout().catch(() => undefined);
    navigate('/');
  };
  return (
    <div className="shell">
      <RouteFocus />
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header className="site-header">
        <Link to="/" className="brand" aria-label={t('nav.home')}>
          <span className="brand-mark" aria-hidden="true" />
          {t('common.appName')}
        </Link>
        {activeCall && (
          <Link to={activeCall.path} className="call-badge" data-testid="call-badge">
            <span className="call-badge-dot" aria-hidden="true" />
            {t('nav.callInProgress')}
          </Link>
        )}
        <nav aria-label={t('nav.main')}>
          <ul className="nav-list">
            {user ? (
              <>
                <li>
                  <NavLink to="/call">{t('nav.call')}</NavLink>
                </li>
                <li>
                  <NavLink to="/history">{t('nav.history')}</NavLink>
                </li>
                <li>
                  <NavLink to="/settings">{t('nav.settings')}</NavLink>
                </li>
                {user.role === 'admin' && (
                  <li>
                    <NavLink to="/admin">{t('nav.admin')}</NavLink>
                  </li>
                )}
                <li className="nav-user">
                  <span className="nav-user-name" title={t('nav.signedInAs', { name: user.displayName })}>
                    <span className="visually-hidden">{t('nav.signedInAs', { name: user.displayName })}</span>
                    <span aria-hidden="true">{user.displayName}</span>
                  </span>
                </li>
                <li>
                  <button type="button" className="link-button" onClick={onLogout}>
                    {t('nav.logout')}
                  </button>
                </li>
              </>
            ) : user === null ? (
              <>
                <li>
                  <LanguageSwitcher />
                </li>
                <li>
                  <NavLink to="/login">{t('nav.login')}</NavLink>
                </li>
                <li>
                  <NavLink to="/signup" className="nav-cta">
                    {t('nav.signup')}
                  </NavLink>
                </li>
              </>
            ) : null}
          </ul>
        </nav>
      </header>
      <ProvidersBanner />
      {loadError && (
        <div className="server-banner" role="alert">
          {loadError}
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {/* A page that fails shows a way on inside the layout (header and navigation keep working). */}
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
      <footer className="site-footer">
        <p>{t('nav.footer')}</p>
      </footer>
    </div>
  );
}
