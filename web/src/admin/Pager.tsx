import { useTranslation } from 'react-i18next';

/** Previous / next over an offset-paged admin listing. */
export function Pager({
  offset,
  limit,
  total,
  onOffset,
}: {
  offset: number;
  limit: number;
  total: number;
  onOffset: (offset: number) => void;
}) {
  const { t } = useTranslation();
  if (total <= limit && offset === 0) return null;
  return (
    <div className="admin-pager">
      <button
        type="button"
        className="button button-small"
        disabled={offset === 0}
        onClick={() => onOffset(Math.max(0, offset - limit))}
      >
        ‹ {t('admin.previous')}
      </button>
      <span className="muted small">
        {t('admin.range', { from: Math.min(offset + 1, total), to: Math.min(offset + limit, total), total })}
      </span>
      <button
        type="button"
        className="button button-small"
        disabled={offset + limit >= total}
        onClick={() => onOffset(offset + limit)}
      >
        {t('admin.next')} ›
      </button>
    </div>
  );
}
