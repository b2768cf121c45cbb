import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** `title` is already in the UI language; '' → just "Parley". */
export function usePageTitle(title: string) {
  const { t } = useTranslation();
  const full = title ? t('common.pageTitle', { title }) : t('common.appName');
  useEffect(() => {
    document.title = full;
  }, [full]);
}
