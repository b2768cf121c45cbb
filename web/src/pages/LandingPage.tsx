import { Link } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext';
import { usePageTitle } from '../lib/usePageTitle';

export function LandingPage() {
  usePageTitle('');
  const { user } = useAuth();
  return (
    <div className="landing">
      <section className="hero" aria-labelledby="hero-title">
        <h1 id="hero-title">Talk it through.</h1>
        <p className="lead">
          Parley is a voice agent you host yourself. Speak naturally, interrupt when you like, and read along as the
          conversation happens.
        </p>
        <div className="hero-actions">
          {user ? (
            <Link className="button button-primary" to="/call">
              Start a call
            </Link>
          ) : (
            <>
              <Link className="button button-primary" to="/guest">
                Try it now — no account
              </Link>
              <Link className="button" to="/signup">
                Create an account
              </Link>
            </>
          )}
        </div>
        {!user && (
          <p className="muted small">
            Guest calls are not saved. With an account you choose the voice, language and topics, and keep a searchable
            history.
          </p>
        )}
      </section>
      <section className="features" aria-label="What Parley does">
        <div className="feature">
          <h2>Live transcript</h2>
          <p>Both sides of the conversation appear as they are spoken.</p>
        </div>
        <div className="feature">
          <h2>Your preferences</h2>
          <p>Pick a voice, a language, favourite topics and your own instructions.</p>
        </div>
        <div className="feature">
          <h2>Your data</h2>
          <p>Search, export or delete any conversation, or your whole account.</p>
        </div>
      </section>
    </div>
  );
}
