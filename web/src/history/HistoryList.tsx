import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../api/client';
import { listConversations, type ConversationSummary, type ListParams } from '../api/conversations';
import { Alert } from '../components/Alert';
import { Highlighted } from '../components/Highlighted';
import { dayBoundary, formatDateTime, formatDuration } from '../lib/format';

export const PAGE_SIZE = 20;

/**
 * A call that never reached its agent has no start (and no turns): it is listed as "did not connect",
 * dated by its creation, never as an untitled conversation. A started call with no end is live.
 */
export function callState(c: ConversationSummary): 'not-connected' | 'live' | 'done' {
  const started = c.startedAt !== null && Date.parse(c.startedAt) > 0;
  if (!started && c.turnCount === 0) return 'not-connected';
  if (started && c.endedAt === null) return 'live';
  return 'done';
}

/**
 * The conversation list: search and date filters live in the URL (so Back works), results come in
 * keyset pages and "Load more" appends the next one.
 */
export function HistoryList() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const [draft, setDraft] = useState({ q, from, to });
  const [items, setItems] = useState<ConversationSummary[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const request = useRef(0);

  const filters = useCallback(
    (): ListParams => ({
      q: q || undefined,
      from: dayBoundary(from, false),
      to: dayBoundary(to, true),
      limit: PAGE_SIZE,
    }),
    [q, from, to],
  );

  const loadPage = useCallback(
    async (cursor: string | null) => {
      const mine = ++request.current;
      setLoading(true);
      setError(null);
      try {
        const page = await listConversations({ ...filters(), cursor: cursor ?? undefined });
        if (mine !== request.current) return;
        setItems((prev) => {
          if (!cursor) return page.conversations;
          const seen = new Set(prev.map((i) => i.id));
          return [...prev, ...page.conversations.filter((i) => !seen.has(i.id))];
        });
        setNextCursor(page.nextCursor ?? null);
      } catch (e) {
        if (mine === request.current) setError(errorMessage(e));
      } finally {
        if (mine === request.current) setLoading(false);
      }
    },
    [filters],
  );

  useEffect(() => {
    setDraft({ q, from, to });
    void loadPage(null);
  }, [q, from, to, loadPage]);

  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (draft.q.trim()) next.set('q', draft.q.trim());
    if (draft.from) next.set('from', draft.from);
    if (draft.to) next.set('to', draft.to);
    setParams(next);
  };
  const filtered = Boolean(q || from || to);
  const rangeInvalid = Boolean(draft.from && draft.to && draft.from > draft.to);

  return (
    <div className="history">
      <form className="history-filters" role="search" onSubmit={onSearch} aria-label={t('history.searchLabel')}>
        <div className="field field-grow">
          <label htmlFor="history-q">{t('history.search')}</label>
          <input
            id="history-q"
            type="search"
            value={draft.q}
            placeholder={t('history.placeholder')}
            onChange={(e) => setDraft((d) => ({ ...d, q: e.target.value }))}
          />
        </div>
        <div className="field">
          <label htmlFor="history-from">{t('history.from')}</label>
          <input
            id="history-from"
            type="date"
            value={draft.from}
            onChange={(e) => setDraft((d) => ({ ...d, from: e.target.value }))}
          />
        </div>
        <div className="field">
          <label htmlFor="history-to">{t('history.to')}</label>
          <input
            id="history-to"
            type="date"
            value={draft.to}
            aria-invalid={rangeInvalid || undefined}
            aria-describedby={rangeInvalid ? 'history-range-err' : undefined}
            onChange={(e) => setDraft((d) => ({ ...d, to: e.target.value }))}
          />
        </div>
        <div className="filter-buttons">
          <button className="button button-primary" type="submit" disabled={rangeInvalid}>
            {t('history.search')}
          </button>
          {filtered && (
            <button type="button" className="button" onClick={() => setParams(new URLSearchParams())}>
              {t('history.clear')}
            </button>
          )}
        </div>
        {rangeInvalid && (
          <p className="field-error filter-error" id="history-range-err">
            {t('history.rangeInvalid')}
          </p>
        )}
      </form>

      {error && (
        <Alert
          title={t('history.loadFailed')}
          action={
            <button className="button" onClick={() => void loadPage(items.length ? nextCursor : null)}>
              {t('common.tryAgain')}
            </button>
          }
        >
          {error}
        </Alert>
      )}

      <p className="visually-hidden" role="status">
        {loading
          ? t('history.loadingList')
          : `${t('history.shown', { count: items.length })}${nextCursor ? `, ${t('history.moreAvailable')}` : ''}.`}
      </p>

      {!loading && !error && items.length === 0 && (
        <div className="empty">
          {filtered ? (
            <p>{t('history.noMatch')}</p>
          ) : (
            <p>
              {t('history.none')} <Link to="/call">{t('history.firstCall')}</Link>.
            </p>
          )}
        </div>
      )}

      <ul className="conversation-list">
        {items.map((c) => {
          const state = callState(c);
          return (
            <li key={c.id} className="conversation-item">
              <Link to={`/history/${c.id}`} className="conversation-link">
                <span className="conversation-title">
                  {c.title?.trim() || (state === 'not-connected' ? t('history.notConnected') : t('common.untitled'))}
                  {state === 'live' && <span className="tag tag-live">{t('history.inProgress')}</span>}
                </span>
                <span className="conversation-meta">
                  <time dateTime={c.startedAt ?? c.createdAt}>{formatDateTime(c.startedAt ?? c.createdAt)}</time>
                  {state === 'not-connected' ? (
                    <>
                      <span aria-hidden="true"> · </span>
                      <span>{t('endReason.never_connected')}</span>
                    </>
                  ) : (
                    <>
                      <span aria-hidden="true"> · </span>
                      <span>{formatDuration(c.durationMs)}</span>
                      <span aria-hidden="true"> · </span>
                      <span>{t('history.turns', { count: c.turnCount })}</span>
                    </>
                  )}
                </span>
                {c.snippet && (
                  <span className="conversation-snippet" data-testid="snippet">
                    <Highlighted text={c.snippet} highlights={c.highlights} />
                  </span>
                )}
              </Link>
            </li>
          );
        })}
      </ul>

      {nextCursor && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void loadPage(nextCursor)} disabled={loading}>
            {loading ? t('common.loading') : t('history.loadMore')}
          </button>
        </div>
      )}
      {loading && items.length === 0 && !error && <p className="loading">{t('history.loadingList')}</p>}
    </div>
  );
}
