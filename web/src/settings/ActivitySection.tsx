import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { en } from '@parley/protocol/i18n';
import { listActivity, type SecurityEvent } from '../api/account';
import { errorMessage } from '../api/client';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

type ActivityType = keyof typeof en.activity.types;
/** An event kind this page has words for; a newer kind reads as "other account activity". */
const known = (type: string): type is ActivityType => Object.hasOwn(en.activity.types, type);

/**
 * Settings → recent security activity: the account's own sign-ins, failed attempts and changes
 * (GET /api/me/activity), each with its time, a coarse network and, for sign-ins, the browser.
 */
export function ActivitySection() {
  const { t } = useTranslation();
  const id = useId();
  const [events, setEvents] = useState<SecurityEvent[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    listActivity().then(setEvents, (e: unknown) => setMessage(errorMessage(e)));
  }, []);

  const label = (type: string) => t(`activity.types.${known(type) ? type : 'other'}`);

  return (
    <section id="activity" className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('activity.title')}</h2>
      <p className="muted">{t('activity.intro')}</p>
      {message && <Alert>{message}</Alert>}
      {events && events.length === 0 && <p className="muted small">{t('activity.empty')}</p>}
      {events && events.length > 0 && (
        <ol className="share-list activity-list">
          {events.map((e) => (
            <li key={e.id} data-type={e.type}>
              <div>
                <strong>{label(e.type)}</strong>
                {e.byAdmin && <span className="badge badge-muted">{t('activity.byAdmin')}</span>}
                <div className="muted small">
                  <time dateTime={e.at}>{formatDateTime(e.at)}</time>
                  {e.device && <> · {e.device}</>}
                  {e.ip && <> · {t('account.network', { ip: e.ip })}</>}
                </div>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
