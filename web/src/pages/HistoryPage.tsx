import { Link } from 'react-router-dom';
import { HistoryList } from '../history/HistoryList';
import { UsageSummary } from '../history/UsageSummary';
import { usePageTitle } from '../lib/usePageTitle';

export default function HistoryPage() {
  usePageTitle('History');
  return (
    <div className="history-page">
      <div className="page-head">
        <h1>History</h1>
        <Link className="button button-primary" to="/call">
          New call
        </Link>
      </div>
      <UsageSummary />
      <HistoryList />
    </div>
  );
}
