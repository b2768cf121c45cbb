import 'i18next';
import type { Catalogue } from '@parley/protocol/i18n';

// Typed keys: t('nav.history') is checked against the English catalogue; a wrong key is a type error.
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Catalogue };
  }
}
