import { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import type { SharedConversation } from '@parley/protocol';
import { errorMessage, isApiError } from '../api/client';
import { getShared } from '../api/shares';
import { Alert } from '../components/Alert';
import { Loading } from '../components/Loading';
import { StoredTurns } from '../history/StoredTurns';
import { formatDateTime, formatDuration } from '../lib/format';
import { usePageTitle } from '../lib/usePageTitle';
import { useTranslation } from 'react-i18next';

/** Keeps search engines off the page while it is shown (the gateway also sends X-Robots-Tag). */
function useNoIndex() {
  useEffect(() => {
    const meta = document.createElement('meta');
    meta.name = 'robots';
    meta.content = 'noindex';
    document.head.appendChild(meta);
    return () => meta.remove();
  }, []);
}

/**
 * A conversation someone shared (/s/:token): public, read-only, outside the app's layout so it has
 * no navigation into an account. Unknown, revoked and expired links look the same.
 */
export default function SharedPage() {
  const { t } = useTranslation();
  const { token = '' } = useParams();
  const [data, setData] = useState<SharedConversation | null>(null);
  const [error, setError] = useState<{ notFound: boolean; message: string } | null>(null);
  useNoIndex();
  usePageTitle(data?.conversation.title || (error?.notFound ? t('shared.notFoundPageTitle') : t('shared.title')));

  useEffect(() => {
    let live = true;
    getShared(token)
      .then((d) => live && setData(d))
      .catch((e: unknown) => live && setError({ notFound: isApiError(e, 'not_found'), message: errorMessage(e) }));
    return () => {
      live = false;
    };
  }, [token]);

  return (
    <div className="shell shared">
      <header className="site-header">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Parley
        </span>
        <span className="muted small">{t('shared.readOnly')}</span>
      </header>
      <main id="main" className="main">
        {error ? (
          <div className="narrow">
            <h1>{error.notFound ? t('shared.notFoundTitle') : t('shared.unavailableTitle')}</h1>
            <Alert tone={error.notFound ? 'info' : 'error'}>
              {error.notFound ? t('shared.notFoundText') : error.message}
            </Alert>
          </div>
        ) : !data ? (
          <Loading label={t('shared.loading')} />
        ) : (
          <article className="conversation">
            <header className="conversation-head">
              <h1>{data.conversation.title?.trim() || t('common.untitled')}</h1>
              <p className="muted">
                {data.conversation.startedAt && (
                  <>
                    <time dateTime={data.conversation.startedAt}>{formatDateTime(data.conversation.startedAt)}</time>{' '}
                    ·{' '}
                  </>
                )}
                {formatDuration(data.conversation.durationMs)} · {t('history.turns', { count: data.utterances.length })}
              </p>
            </header>
            <StoredTurns utterances={data.utterances} showLatency={data.includeLatency} />
            <p className="muted small">
              {t('shared.expires')} <time dateTime={data.expiresAt}>{formatDateTime(data.expiresAt)}</time>.
            </p>
          </article>
        )}
      </main>
    </div>
  );
}
