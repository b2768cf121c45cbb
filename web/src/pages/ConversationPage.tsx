import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { errorMessage, isApiError } from '../api/client';
import { deleteConversation, exportUrl, getConversation, type ConversationDetail } from '../api/conversations';
import { Alert } from '../components/Alert';
import { Loading } from '../components/Loading';
import { ShareBox } from '../history/ShareBox';
import { StoredTurns } from '../history/StoredTurns';
import { endReasonText } from '../lib/end-reasons';
import { formatDateTime, formatDuration } from '../lib/format';
import { usePageTitle } from '../lib/usePageTitle';

export default function ConversationPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const [data, setData] = useState<ConversationDetail | null>(null);
  const [error, setError] = useState<{ notFound: boolean; message: string } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [sharing, setSharing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  usePageTitle(data?.conversation.title || t('conversation.title'));

  useEffect(() => {
    let live = true;
    setData(null);
    setError(null);
    setLoadingMore(false);
    // The first page shows at once; the following pages are appended as they arrive.
    void (async () => {
      try {
        let page = await getConversation(id);
        let utterances = [...(page.utterances ?? [])].sort((a, b) => a.seq - b.seq);
        if (!live) return;
        setData({ conversation: page.conversation, utterances, nextSeq: page.nextSeq });
        while (page.nextSeq !== null && page.nextSeq !== undefined) {
          setLoadingMore(true);
          page = await getConversation(id, page.nextSeq);
          if (!live) return;
          utterances = [...utterances, ...[...page.utterances].sort((a, b) => a.seq - b.seq)];
          setData({ conversation: page.conversation, utterances, nextSeq: page.nextSeq });
        }
        setLoadingMore(false);
      } catch (e: unknown) {
        if (live) setError({ notFound: isApiError(e, 'not_found'), message: errorMessage(e) });
      }
    })();
    return () => {
      live = false;
    };
  }, [id]);

  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);

  const onDelete = async () => {
    setDeleting(true);
    setDeleteError(null);
    try {
      await deleteConversation(id);
      navigate('/history', { replace: true, state: { deleted: true } });
    } catch (e) {
      setDeleteError(errorMessage(e));
      setDeleting(false);
    }
  };

  if (error) {
    return (
      <div className="narrow">
        <h1>{error.notFound ? t('conversation.notFound') : t('conversation.unavailable')}</h1>
        <Alert>{error.notFound ? t('conversation.maybeDeleted') : error.message}</Alert>
        <p>
          <Link to="/history">{t('conversation.back')}</Link>
        </p>
      </div>
    );
  }
  if (!data) return <Loading label={t('conversation.loading')} />;
  const { conversation: c, utterances } = data;

  return (
    <article className="conversation">
      <p className="breadcrumb">
        <Link to="/history">{t('conversation.breadcrumb')}</Link>
      </p>
      <header className="conversation-head">
        <h1>
          {c.title?.trim() ||
            (!c.startedAt && utterances.length === 0 ? t('history.notConnected') : t('common.untitled'))}
        </h1>
        <p className="muted">
          <time dateTime={c.startedAt ?? c.createdAt}>{formatDateTime(c.startedAt ?? c.createdAt)}</time> ·{' '}
          {formatDuration(c.durationMs)} · {t('history.turns', { count: utterances.length })}
          {c.endReason ? ` · ${endReasonText(c.endReason)}` : ''}
        </p>
        <div className="conversation-actions">
          <span className="muted small" id="export-label">
            {t('conversation.export')}
          </span>
          <a className="button button-small" href={exportUrl(id, 'md')} download aria-describedby="export-label">
            Markdown
          </a>
          <a className="button button-small" href={exportUrl(id, 'txt')} download aria-describedby="export-label">
            {t('conversation.text')}
          </a>
          <a className="button button-small" href={exportUrl(id, 'json')} download aria-describedby="export-label">
            JSON
          </a>
          <button type="button" className="button button-small" onClick={() => setSharing(true)} disabled={sharing}>
            {t('conversation.share')}
          </button>
          <button
            type="button"
            className="button button-small button-danger"
            onClick={() => setConfirming(true)}
            disabled={confirming}
          >
            {t('conversation.delete')}
          </button>
        </div>
        {sharing && <ShareBox conversationId={id} onClose={() => setSharing(false)} />}
        {confirming && (
          <div className="confirm-box" role="group" aria-labelledby="confirm-delete-text">
            <p id="confirm-delete-text">{t('conversation.confirmDelete')}</p>
            {deleteError && <Alert>{deleteError}</Alert>}
            <div className="button-row">
              <button
                type="button"
                className="button button-danger"
                onClick={() => void onDelete()}
                disabled={deleting}
              >
                {deleting ? t('conversation.deleting') : t('conversation.deleteForGood')}
              </button>
              <button type="button" className="button" ref={cancelRef} onClick={() => setConfirming(false)}>
                {t('conversation.keep')}
              </button>
            </div>
          </div>
        )}
      </header>

      <StoredTurns utterances={utterances} showLatency />
      {loadingMore && <Loading label={t('conversation.loading')} />}
    </article>
  );
}
