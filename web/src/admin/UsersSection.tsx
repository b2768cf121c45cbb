import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { changeUser, deleteUser, disableUser, enableUser, listUsers, type AdminUser } from '../api/admin';
import { errorMessage } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { formatDateTime, formatNumber } from '../lib/format';
import { Pager } from './Pager';

const PAGE = 20;

/** Accounts: search, role and limits, disable/enable, delete (confirmed by typing the email). */
export function UsersSection({
  onConversations,
  onAudit,
}: {
  onConversations: (u: AdminUser) => void;
  onAudit: (u: AdminUser) => void;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const [list, setList] = useState<{ users: AdminUser[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    return listUsers({ q: q || undefined, limit: PAGE, offset })
      .then(setList)
      .catch((e) => setError(errorMessage(e)));
  }, [q, offset]);
  useEffect(() => {
    void load();
  }, [load]);

  const search = (e: FormEvent) => {
    e.preventDefault();
    setOffset(0);
    setQ(typed.trim());
  };
  const replace = (u: AdminUser) => setList((l) => l && { ...l, users: l.users.map((x) => (x.id === u.id ? u : x)) });

  return (
    <section aria-labelledby="admin-users-title">
      <h2 id="admin-users-title" className="visually-hidden">
        {t('admin.users')}
      </h2>
      <form className="history-filters" role="search" onSubmit={search}>
        <div className="field field-grow">
          <label htmlFor="admin-user-q">{t('admin.search')}</label>
          <input id="admin-user-q" type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </div>
        <div className="field">
          <button type="submit" className="button">
            {t('admin.searchButton')}
          </button>
        </div>
      </form>
      {notice && <Alert tone="success" title={notice} />}
      {error && <Alert title={t('admin.loadFailed')}>{error}</Alert>}
      {list && (
        <>
          <p className="muted small" aria-live="polite">
            {t('admin.accounts', { count: list.total })}
          </p>
          {list.users.length === 0 ? (
            <p className="muted">{t('admin.noUsers')}</p>
          ) : (
            <ul className="admin-user-list">
              {list.users.map((u) => (
                <UserCard
                  key={u.id}
                  user={u}
                  onChanged={(next) => {
                    setNotice(null);
                    replace(next);
                  }}
                  onDeleted={() => {
                    setNotice(t('admin.deleted', { email: u.email }));
                    void load();
                  }}
                  onConversations={() => onConversations(u)}
                  onAudit={() => onAudit(u)}
                />
              ))}
            </ul>
          )}
          <Pager offset={offset} limit={PAGE} total={list.total} onOffset={setOffset} />
        </>
      )}
    </section>
  );
}

const limitText = (v: string) => (v.trim() === '' ? null : Number(v));

function UserCard({
  user,
  onChanged,
  onDeleted,
  onConversations,
  onAudit,
}: {
  user: AdminUser;
  onChanged: (u: AdminUser) => void;
  onDeleted: () => void;
  onConversations: () => void;
  onAudit: () => void;
}) {
  const { t } = useTranslation();
  const { user: me } = useAuth();
  const self = me?.id === user.id;
  const [mode, setMode] = useState<'view' | 'edit' | 'delete'>('view');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [role, setRole] = useState(user.role);
  const [quota, setQuota] = useState(user.quotaMinutesPerDay?.toString() ?? '');
  const [maxCall, setMaxCall] = useState(user.maxCallSeconds?.toString() ?? '');
  const [confirm, setConfirm] = useState('');
  const titleId = `admin-user-${user.id}`;

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await fn();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      const next = await changeUser(user.id, {
        ...(role !== user.role ? { role } : {}),
        quotaMinutesPerDay: limitText(quota),
        maxCallSeconds: limitText(maxCall),
      });
      onChanged(next);
      setSaved(true);
      setMode('view');
    });
  };
  const toggle = () => act(async () => onChanged(await (user.disabledAt ? enableUser(user.id) : disableUser(user.id))));
  const remove = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      await deleteUser(user.id);
      onDeleted();
    });
  };
  const limit = (v: number | null, unit: string) =>
    v === null ? t('admin.defaultLimit') : `${formatNumber(v)} ${unit}`;

  return (
    <li className="card admin-user" aria-labelledby={titleId}>
      <div className="admin-user-head">
        <h3 id={titleId}>{user.email}</h3>
        <span className={`badge ${user.role === 'admin' ? 'badge-on' : 'badge-muted'}`}>
          {user.role === 'admin' ? t('admin.roleAdmin') : t('admin.roleUser')}
        </span>
        {user.disabledAt && <span className="badge badge-off">{t('admin.disabled')}</span>}
        {self && <span className="muted small">({t('admin.you')})</span>}
      </div>
      <dl className="admin-user-facts">
        <div>
          <dt>{t('admin.name')}</dt>
          <dd>{user.displayName}</dd>
        </div>
        <div>
          <dt>{t('admin.joined')}</dt>
          <dd>{formatDateTime(user.createdAt)}</dd>
        </div>
        <div>
          <dt>{t('admin.quota')}</dt>
          <dd>{limit(user.quotaMinutesPerDay, t('admin.minutesUnit'))}</dd>
        </div>
        <div>
          <dt>{t('admin.maxCall')}</dt>
          <dd>{limit(user.maxCallSeconds, t('admin.secondsUnit'))}</dd>
        </div>
      </dl>
      {error && <Alert title={t('admin.actionFailed')}>{error}</Alert>}
      {saved && (
        <p className="muted small" role="status">
          {t('admin.saved')}
        </p>
      )}
      {mode === 'edit' && (
        <form className="admin-user-form" onSubmit={save} aria-label={t('admin.editFor', { email: user.email })}>
          <div className="field">
            <label htmlFor={`${titleId}-role`}>{t('admin.role')}</label>
            <select
              id={`${titleId}-role`}
              value={role}
              disabled={self}
              onChange={(e) => setRole(e.target.value as AdminUser['role'])}
            >
              <option value="user">{t('admin.roleUser')}</option>
              <option value="admin">{t('admin.roleAdmin')}</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${titleId}-quota`}>{t('admin.quotaField')}</label>
            <input
              id={`${titleId}-quota`}
              type="number"
              inputMode="decimal"
              min={0}
              max={1_000_000}
              step="any"
              value={quota}
              placeholder={t('admin.defaultLimit')}
              onChange={(e) => setQuota(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${titleId}-max`}>{t('admin.maxCallField')}</label>
            <input
              id={`${titleId}-max`}
              type="number"
              inputMode="numeric"
              min={1}
              max={86_400}
              step={1}
              value={maxCall}
              placeholder={t('admin.defaultLimit')}
              onChange={(e) => setMaxCall(e.target.value)}
            />
          </div>
          <p className="field-hint">{t('admin.limitsHint')}</p>
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? t('admin.saving') : t('admin.save')}
            </button>
            <button type="button" className="button" onClick={() => setMode('view')}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      {mode === 'delete' && (
        <form
          className="admin-user-form admin-danger"
          onSubmit={remove}
          aria-label={t('admin.deleteTitle', { email: user.email })}
        >
          <p>
            <strong>{t('admin.deleteTitle', { email: user.email })}</strong> {t('admin.deleteText')}
          </p>
          <div className="field">
            <label htmlFor={`${titleId}-confirm`}>{t('admin.confirmEmail')}</label>
            <input
              id={`${titleId}-confirm`}
              type="email"
              autoComplete="off"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          </div>
          <div className="button-row">
            <button
              type="submit"
              className="button button-danger"
              disabled={busy || confirm.trim().toLowerCase() !== user.email.toLowerCase()}
            >
              {t('admin.deleteConfirm')}
            </button>
            <button type="button" className="button" onClick={() => setMode('view')}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      {mode === 'view' && (
        <div className="button-row admin-user-actions">
          <button type="button" className="button button-small" onClick={() => setMode('edit')}>
            {t('admin.edit')}
          </button>
          {!self && (
            <button type="button" className="button button-small" disabled={busy} onClick={() => void toggle()}>
              {user.disabledAt ? t('admin.enable') : t('admin.disable')}
            </button>
          )}
          <button type="button" className="button button-small" onClick={onConversations}>
            {t('admin.conversations')}
          </button>
          <button type="button" className="button button-small" onClick={onAudit}>
            {t('admin.auditFor')}
          </button>
          {!self && (
            <button type="button" className="button button-small button-danger" onClick={() => setMode('delete')}>
              {t('admin.delete')}
            </button>
          )}
        </div>
      )}
    </li>
  );
}
