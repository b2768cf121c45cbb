import { useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { usePageTitle } from '../lib/usePageTitle';
import { AuditSection } from './AuditSection';
import { ConversationsSection } from './ConversationsSection';
import { UsageSection } from './UsageSection';
import { UsersSection } from './UsersSection';

const TABS = ['users', 'conversations', 'usage', 'audit'] as const;
type Tab = (typeof TABS)[number];

/**
 * The admin console: accounts, conversations (metadata only), usage and cost, the audit trail. The
 * section and its filters live in the address (?tab=…&user=…), so a view can be linked and reloaded.
 */
export default function AdminPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'users';
  usePageTitle(t('admin.title'));
  const go = (next: Tab, extra: Record<string, string> = {}) => setParams({ tab: next, ...extra });
  const label: Record<Tab, string> = {
    users: t('admin.users'),
    conversations: t('admin.conversations'),
    usage: t('admin.usage'),
    audit: t('admin.audit'),
  };
  return (
    <div className="admin">
      <div className="page-head">
        <h1>{t('admin.title')}</h1>
      </div>
      <nav className="admin-tabs" aria-label={t('admin.sections')}>
        {TABS.map((x) => (
          <button
            key={x}
            type="button"
            className="admin-tab"
            aria-current={x === tab ? 'page' : undefined}
            onClick={() => go(x)}
          >
            {label[x]}
          </button>
        ))}
      </nav>
      {tab === 'users' && (
        <UsersSection
          onConversations={(u) => go('conversations', { user: u.id, email: u.email })}
          onAudit={(u) => go('audit', { target: u.email })}
        />
      )}
      {tab === 'conversations' && (
        <ConversationsSection
          userId={params.get('user') ?? undefined}
          userEmail={params.get('email') ?? undefined}
          onShowAll={() => go('conversations')}
        />
      )}
      {tab === 'usage' && <UsageSection />}
      {tab === 'audit' && <AuditSection initialTarget={params.get('target') ?? ''} />}
    </div>
  );
}
