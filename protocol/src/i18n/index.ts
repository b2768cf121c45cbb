import { LANGUAGE_CODES, type LanguageCode } from '../languages';
import en from './locales/en';

/**
 * The UI text of Parley in every language it speaks, in one place: the web client renders it with
 * i18next, and the gateway can use the same catalogues (e.g. for emails). English is the source
 * catalogue; every other locale has exactly its keys, with the plural forms its language needs
 * (`Intl.PluralRules(lng).resolvedOptions().pluralCategories`; `catalogues.test.ts` checks both).
 * Values use i18next syntax: `{{name}}` interpolation, `_one`/`_other`/… plural suffixes with `count`.
 */
export { en };
export type { LanguageCode };

export { PLURAL_CATEGORIES, type Catalogue, type LocaleCatalogue } from './types';
import type { LocaleCatalogue } from './types';

/** The UI languages: the languages the agent speaks (protocol/src/languages.ts). */
export const UI_LANGUAGES: readonly LanguageCode[] = LANGUAGE_CODES;
export const DEFAULT_UI_LANGUAGE: LanguageCode = 'en';

/** Each language's name in itself, for the language switcher. */
export const NATIVE_LANGUAGE_NAMES: Record<LanguageCode, string> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  it: 'Italiano',
  pt: 'Português',
  nl: 'Nederlands',
  ja: '日本語',
  hi: 'हिन्दी',
};

/** Loads a locale's catalogue (a separate chunk in the browser, so a page carries only its language). */
export const CATALOGUES: Record<LanguageCode, () => Promise<LocaleCatalogue>> = {
  en: () => Promise.resolve(en),
  es: () => import('./locales/es').then((m) => m.default),
  fr: () => import('./locales/fr').then((m) => m.default),
  de: () => import('./locales/de').then((m) => m.default),
  it: () => import('./locales/it').then((m) => m.default),
  pt: () => import('./locales/pt').then((m) => m.default),
  nl: () => import('./locales/nl').then((m) => m.default),
  ja: () => import('./locales/ja').then((m) => m.default),
  hi: () => import('./locales/hi').then((m) => m.default),
};

export const isUiLanguage = (x: unknown): x is LanguageCode =>
  typeof x === 'string' && (UI_LANGUAGES as readonly string[]).includes(x);

/**
 * The first supported language among BCP 47 tags in order of preference (`navigator.languages`,
 * an Accept-Language list): 'pt-BR' → 'pt'. Null when none is supported.
 */
export function negotiateLanguage(tags: ReadonlyArray<string | null | undefined>): LanguageCode | null {
  for (const tag of tags) {
    if (!tag) continue;
    const base = tag.trim().toLowerCase().split(/[-_]/)[0];
    if (isUiLanguage(base)) return base;
  }
  return null;
}
