import { Link, NavLink, Outlet, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext';
import { ProvidersBanner } from './ProvidersBanner';
import { RouteFocus } from './RouteFocus';

export function Layout() {
  const { user, logout, loadError } = useAuth();
  const navigate = useNavigate();
  const onLogout = async () => {
    await logout().catch(() => undefined);
    navigate('/');
  };
  return (
    <div className="shell">
      <RouteFocus />
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand" aria-label="Parley home">
          <span className="brand-mark" aria-hidden="true" />
          Parley
        </Link>
        <nav aria-label="Main">
          <ul className="nav-list">
            {user ? (
              <>
                <li>
                  <NavLink to="/call">Call</NavLink>
                </li>
                <li>
                  <NavLink to="/history">History</NavLink>
                </li>
                <li>
                  <NavLink to="/settings">Settings</NavLink>
                </li>
                <li>
                  <button type="button" className="link-button" onClick={onLogout}>
                    Log out
                  </button>
                </li>
              </>
            ) : user === null ? (
              <>
                <li>
                  <NavLink to="/login">Log in</NavLink>
                </li>
                <li>
                  <NavLink to="/signup" className="nav-cta">
                    Sign up
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
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>Parley — a voice agent you host yourself.</p>
      </footer>
    </div>
  );
}
