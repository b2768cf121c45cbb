import { useCallback, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  WEBHOOK_EVENTS,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
  type WebhookUrlRefusal,
} from '@parley/protocol';
import { errorMessage, isApiError } from '../api/client';
import { createWebhook, deleteWebhook, enableWebhook, listDeliveries, listWebhooks } from '../api/webhooks';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

const EVENTS = Object.keys(WEBHOOK_EVENTS) as WebhookEventType[];
const EVENT_KEY = {
  'call.ended': 'webhooks.event_call_ended',
  'conversation.deleted': 'webhooks.event_conversation_deleted',
  'account.deleted': 'webhooks.event_account_deleted',
} as const;
const REFUSAL_KEY = {
  not_https: 'webhooks.refusedNotHttps',
  private_address: 'webhooks.refusedPrivate',
  unresolvable: 'webhooks.refusedUnresolvable',
  invalid_url: 'webhooks.refusedInvalid',
} as const satisfies Record<WebhookUrlRefusal, string>;
const STATUS_KEY = {
  pending: 'webhooks.statusPending',
  delivered: 'webhooks.statusDelivered',
  failed: 'webhooks.statusFailed',
} as const;

/**
 * Settings → Webhooks: endpoints that receive signed events (docs/integrations.md). The secret is
 * shown once; each endpoint shows its failure or turned-off notice and, on demand, its delivery log.
 */
export function WebhooksSection({ isAdmin }: { isAdmin: boolean }) {
  const { t } = useTranslation();
  const id = useId();
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[] | null>(null);
  const [deliveries, setDeliveries] = useState<Record<string, WebhookDelivery[]>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['call.ended']);
  const [instance, setInstance] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setEndpoints(await listWebhooks());
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (key: string, work: () => Promise<unknown>) => {
    setBusy(key);
    setMessage(null);
    try {
      await work();
      await load();
    } catch (e) {
      const reason = isApiError(e, 'webhook_url_refused')
        ? (e.details as { reason?: WebhookUrlRefusal } | undefined)?.reason
        : undefined;
      setMessage(reason && reason in REFUSAL_KEY ? t(REFUSAL_KEY[reason]) : errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const create = () =>
    act('create', async () => {
      const r = await createWebhook({ url, events, scope: instance ? 'instance' : 'user' });
      setSecret(r.secret);
      setUrl('');
    });
  const toggleDeliveries = (endpointId: string) =>
    act(`log-${endpointId}`, async () => {
      if (deliveries[endpointId]) {
        setDeliveries(({ [endpointId]: _gone, ...rest }) => rest);
        return;
      }
      const list = await listDeliveries(endpointId);
      setDeliveries((cur) => ({ ...cur, [endpointId]: list }));
    });
  const toggle = (e: WebhookEventType, on: boolean) =>
    setEvents((cur) => (on ? [...new Set([...cur, e])] : cur.filter((x) => x !== e)));

  return (
    <section className="card" id="webhooks" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('webhooks.title')}</h2>
      <p className="muted small">{t('webhooks.intro')}</p>
      {message && <Alert>{message}</Alert>}
      {secret && (
        <div className="confirm-box" role="status">
          <label htmlFor={`${id}-secret`}>{t('webhooks.secretLabel')}</label>
          <input
            id={`${id}-secret`}
            className="share-url"
            readOnly
            value={secret}
            onFocus={(e) => e.currentTarget.select()}
          />
          <p className="muted small">{t('webhooks.secretHint')}</p>
          <div className="button-row">
            <button type="button" className="button" onClick={() => setSecret(null)}>
              {t('webhooks.done')}
            </button>
          </div>
        </div>
      )}
      {endpoints === null ? null : endpoints.length === 0 ? (
        <p className="muted">{t('webhooks.none')}</p>
      ) : (
        <ul className="share-list webhook-list">
          {endpoints.map((e) => (
            <li key={e.id}>
              <div className="webhook-endpoint">
                <code className="webhook-url">{e.url}</code>
                <span className="muted small">
                  {' '}
                  · {e.events.map((ev) => t(EVENT_KEY[ev])).join(', ')}
                  {e.scope === 'instance' ? ` · ${t('webhooks.instanceBadge')}` : ''}
                </span>
                {e.disabledAt ? (
                  <Alert>{t('webhooks.disabled', { date: formatDateTime(e.disabledAt) })}</Alert>
                ) : e.failingSince ? (
                  <p className="small warning-text">
                    {t('webhooks.failingSince', { date: formatDateTime(e.failingSince) })}
                  </p>
                ) : null}
                {deliveries[e.id] && (
                  <ul className="delivery-log" aria-label={t('webhooks.deliveries')}>
                    {deliveries[e.id]!.length === 0 ? (
                      <li className="muted small">{t('webhooks.noDeliveries')}</li>
                    ) : (
                      deliveries[e.id]!.map((d) => (
                        <li key={d.id} className="small">
                          <strong className={`delivery-${d.status}`}>{t(STATUS_KEY[d.status])}</strong> ·{' '}
                          <code>{d.eventType}</code> · {formatDateTime(d.createdAt)} ·{' '}
                          {t('webhooks.attempts', { count: d.attempts })}
                          {d.lastStatus !== null || d.lastError
                            ? ` · ${t('webhooks.lastAnswer', { detail: d.lastError ?? String(d.lastStatus) })}`
                            : ''}
                        </li>
                      ))
                    )}
                  </ul>
                )}
              </div>
              <div className="button-row">
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => void toggleDeliveries(e.id)}
                  disabled={busy === `log-${e.id}`}
                  aria-expanded={!!deliveries[e.id]}
                >
                  {deliveries[e.id] ? t('webhooks.hideDeliveries') : t('webhooks.deliveries')}
                </button>
                {e.disabledAt && (
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => void act(`on-${e.id}`, () => enableWebhook(e.id))}
                    disabled={busy === `on-${e.id}`}
                  >
                    {busy === `on-${e.id}` ? t('webhooks.enabling') : t('webhooks.enable')}
                  </button>
                )}
                <button
                  type="button"
                  className="button button-small button-danger"
                  onClick={() => void act(e.id, () => deleteWebhook(e.id))}
                  disabled={busy === e.id}
                >
                  {busy === e.id ? t('webhooks.deleting') : t('webhooks.delete')}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <form
        className="token-form"
        onSubmit={(ev) => {
          ev.preventDefault();
          void create();
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-url`}>{t('webhooks.url')}</label>
          <input
            id={`${id}-url`}
            type="url"
            inputMode="url"
            placeholder="https://"
            value={url}
            maxLength={2000}
            required
            onChange={(ev) => setUrl(ev.target.value)}
          />
        </div>
        <fieldset className="field">
          <legend>{t('webhooks.events')}</legend>
          {EVENTS.map((ev) => (
            <label key={ev} className="checkbox">
              <input type="checkbox" checked={events.includes(ev)} onChange={(x) => toggle(ev, x.target.checked)} />{' '}
              {t(EVENT_KEY[ev])}
            </label>
          ))}
        </fieldset>
        {isAdmin && (
          <label className="checkbox">
            <input type="checkbox" checked={instance} onChange={(x) => setInstance(x.target.checked)} />{' '}
            {t('webhooks.instance')}
          </label>
        )}
        <button
          type="submit"
          className="button button-primary"
          disabled={busy === 'create' || !url.trim() || events.length === 0}
        >
          {busy === 'create' ? t('webhooks.adding') : t('webhooks.add')}
        </button>
      </form>
    </section>
  );
}
