import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { useAuth } from '../auth/AuthContext';
import { usePageTitle } from '../lib/usePageTitle';

export function LandingPage() {
  const { t } = useTranslation();
  usePageTitle('');
  const { user } = useAuth();
  return (
    <div className="landing">
      <section className="hero" aria-labelledby="hero-title">
        <h1 id="hero-title">{t('landing.title')}</h1>
        <p className="lead">{t('landing.lead')}</p>
        <div className="hero-actions">
          {user ? (
            <Link className="button button-primary" to="/call">
              {t('landing.startCall')}
            </Link>
          ) : (
            <>
              <Link className="button button-primary" to="/guest">
                {t('landing.tryGuest')}
              </Link>
              <Link className="button" to="/signup">
                {t('landing.createAccount')}
              </Link>
            </>
          )}
        </div>
        {!user && <p className="muted small">{t('landing.guestNote')}</p>}
      </section>
      <section className="features" aria-label={t('landing.featuresLabel')}>
        <div className="feature">
          <h2>{t('landing.transcriptTitle')}</h2>
          <p>{t('landing.transcriptText')}</p>
        </div>
        <div className="feature">
          <h2>{t('landing.prefsTitle')}</h2>
          <p>{t('landing.prefsText')}</p>
        </div>
        <div className="feature">
          <h2>{t('landing.dataTitle')}</h2>
          <p>{t('landing.dataText')}</p>
        </div>
      </section>
    </div>
  );
}
