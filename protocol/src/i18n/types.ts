import type en from './locales/en';

/** The shape of the English catalogue: the typed keys (web/src/i18n/i18next.d.ts hands it to i18next). */
export type Catalogue = typeof en;

export const PLURAL_CATEGORIES = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;
type PluralCategory = (typeof PLURAL_CATEGORIES)[number];
type PluralBase<K> = K extends `${infer B}_${PluralCategory}` ? B : never;

/**
 * A locale's catalogue: every non-plural key of `T` (no more, no fewer — a typo is a type error),
 * and, for each plural key of `T`, any plural forms (which ones a language needs is checked by the test).
 */
export type LocaleCatalogue<T = Catalogue> = {
  [K in keyof T as K extends `${string}_${PluralCategory}` ? never : K]: T[K] extends string
    ? string
    : LocaleCatalogue<T[K]>;
} & { [K in `${PluralBase<keyof T & string>}_${PluralCategory}`]?: string };
