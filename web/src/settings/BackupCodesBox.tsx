import { useId } from 'react';
import { useTranslation } from 'react-i18next';

/** Freshly made backup codes, shown once: download as a text file, print, or confirm they are kept. */
export function BackupCodesBox({ codes, onDone }: { codes: string[]; onDone(): void }) {
  const { t } = useTranslation();
  const id = useId();
  const download = () => {
    const url = URL.createObjectURL(
      new Blob([`${t('account.backupFileHeader')}\n\n${codes.join('\n')}\n`], { type: 'text/plain' }),
    );
    const a = document.createElement('a');
    a.href = url;
    a.download = 'parley-backup-codes.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  return (
    <div className="confirm-box share-box backup-codes" role="region" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t('account.backupTitle')}</h3>
      <p>{t('account.backupIntro')}</p>
      <ol className="backup-code-list">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="button-row">
        <button type="button" className="button" onClick={download}>
          {t('account.download')}
        </button>
        <button type="button" className="button" onClick={() => window.print()}>
          {t('account.print')}
        </button>
        <button type="button" className="button button-primary" onClick={onDone}>
          {t('account.savedThem')}
        </button>
      </div>
    </div>
  );
}
