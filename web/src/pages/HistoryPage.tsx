import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { HistoryList } from '../history/HistoryList';
import { UsageCost } from '../history/UsageCost';
import { UsageSummary } from '../history/UsageSummary';
import { usePageTitle } from '../lib/usePageTitle';

export default function HistoryPage() {
  const { t } = useTranslation();
  usePageTitle(t('history.title'));
  return (
    <div className="history-page">
      <div className="page-head">
        <h1>{t('history.title')}</h1>
        <Link className="button button-primary" to="/call">
          {t('history.newCall')}
        </Link>
      </div>
      <UsageSummary />
      <HistoryList />
      <UsageCost />
    </div>
  );
}
