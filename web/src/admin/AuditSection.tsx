import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { listAudit, type AdminAuditEvent } from '../api/admin';
import { Alert } from '../components/Alert';
import { useLoaded } from '../lib/useLoaded';
import { dayBoundary, formatDateTime } from '../lib/format';
import { Pager } from './Pager';

const PAGE = 50;

interface Filters {
  actor: string;
  target: string;
  type: string;
  from: string;
  to: string;
}

/** Facts of an event (which fields, why), compact: `reason: wrong_password · to: admin`. */
const detailsText = (d: Record<string, unknown>) =>
  Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' · ');

/** Every account's audit events, newest first, filtered by actor, target, type and day range. */
export function AuditSection({ initialTarget }: { initialTarget: string }) {
  const { t } = useTranslation();
  const empty: Filters = { actor: '', target: initialTarget, type: '', from: '', to: '' };
  const [form, setForm] = useState<Filters>(empty);
  const [filters, setFilters] = useState<Filters>(empty);
  const [offset, setOffset] = useState(0);

  const { data: list, error } = useLoaded(
    () =>
      listAudit({
        actor: filters.actor.trim() || undefined,
        target: filters.target.trim() || undefined,
        type: filters.type.trim() || undefined,
        // Days in the browser's time zone: from the start of the first to the end of the last.
        from: filters.from ? dayBoundary(filters.from, false) : undefined,
        to: filters.to ? dayBoundary(filters.to, true) : undefined,
        limit: PAGE,
        offset,
      }),
    [filters, offset],
  );

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setOffset(0);
    setFilters(form);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  /** An account by email; once deleted, by its pseudonym; no account: the admin command, or nobody. */
  const who = (email: string | null, pseudonym: string | null, e: AdminAuditEvent) =>
    email ??
    (pseudonym
      ? t('admin.deletedAccount', { id: pseudonym.replace(/^deleted-user-/, '') })
      : e.details.via === 'cli'
        ? t('admin.commandLine')
        : '—');

  return (
    <section aria-labelledby="admin-audit-title">
      <h2 id="admin-audit-title" className="visually-hidden">
        {t('admin.audit')}
      </h2>
      <form className="history-filters admin-audit-filters" onSubmit={apply} aria-label={t('admin.auditFilters')}>
        <div className="field field-grow">
          <label htmlFor="audit-actor">{t('admin.actor')}</label>
          <input id="audit-actor" value={form.actor} placeholder={t('admin.whoHint')} onChange={set('actor')} />
        </div>
        <div className="field field-grow">
          <label htmlFor="audit-target">{t('admin.target')}</label>
          <input id="audit-target" value={form.target} placeholder={t('admin.whoHint')} onChange={set('target')} />
        </div>
        <div className="field">
          <label htmlFor="audit-type">{t('admin.type')}</label>
          <input id="audit-type" value={form.type} placeholder="login_failed" onChange={set('type')} />
        </div>
        <div className="field">
          <label htmlFor="audit-from">{t('admin.from')}</label>
          <input id="audit-from" type="date" value={form.from} onChange={set('from')} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">{t('admin.to')}</label>
          <input id="audit-to" type="date" value={form.to} onChange={set('to')} />
        </div>
        <div className="field admin-filter-actions">
          <button type="submit" className="button">
            {t('admin.filter')}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              const none = { actor: '', target: '', type: '', from: '', to: '' };
              setForm(none);
              setFilters(none);
              setOffset(0);
            }}
          >
            {t('admin.clear')}
          </button>
        </div>
      </form>
      {error && <Alert title={t('admin.loadFailed')}>{error}</Alert>}
      {list && (
        <div className="card">
          <p className="muted small" aria-live="polite">
            {t('admin.events', { count: list.total })}
          </p>
          {list.events.length === 0 ? (
            <p className="muted">{t('admin.noEvents')}</p>
          ) : (
            <ol className="admin-audit-list">
              {list.events.map((e) => (
                <li key={e.id} className="admin-audit-event">
                  <div className="admin-audit-head">
                    <code className="admin-audit-type">{e.type}</code>
                    <time dateTime={e.at} className="muted small">
                      {formatDateTime(e.at)}
                    </time>
                  </div>
                  <dl className="admin-audit-facts">
                    <div>
                      <dt>{t('admin.actor')}</dt>
                      <dd>{who(e.actorEmail, e.actorPseudonym, e)}</dd>
                    </div>
                    <div>
                      <dt>{t('admin.target')}</dt>
                      <dd>{who(e.targetEmail, e.targetPseudonym, e)}</dd>
                    </div>
                    {e.ip && (
                      <div>
                        <dt>{t('admin.network')}</dt>
                        <dd>{e.ip}</dd>
                      </div>
                    )}
                    {Object.keys(e.details).length > 0 && (
                      <div>
                        <dt>{t('admin.details')}</dt>
                        <dd>{detailsText(e.details)}</dd>
                      </div>
                    )}
                  </dl>
                </li>
              ))}
            </ol>
          )}
          <Pager offset={offset} limit={PAGE} total={list.total} onOffset={setOffset} />
        </div>
      )}
    </section>
  );
}
