import { describe, expect, it } from 'vitest';
import { CATALOGUES, PLURAL_CATEGORIES, UI_LANGUAGES, en, negotiateLanguage } from './index';

/** 'a.b.c' → value, for every string leaf. */
function flatten(obj: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

const PLURAL = new RegExp(`_(${PLURAL_CATEGORIES.join('|')})$`);
const vars = (s: string) => [...s.matchAll(/\{\{\s*([\w.]+)/g)].map((m) => m[1]).sort();

/** Every key a locale must have: en's plain keys, and each plural key in the language's own plural forms. */
function expectedKeys(lng: string): Map<string, string> {
  const categories = new Intl.PluralRules(lng).resolvedOptions().pluralCategories;
  const keys = new Map<string, string>();
  for (const [k, v] of flatten(en)) {
    if (!PLURAL.test(k)) keys.set(k, v);
    else if (k.endsWith('_other')) {
      const base = k.slice(0, -'_other'.length);
      for (const c of categories) keys.set(`${base}_${c}`, v);
    }
  }
  return keys;
}

describe('UI catalogues', () => {
  it('English has one and other for every plural key', () => {
    const keys = [...flatten(en).keys()];
    for (const k of keys.filter((k) => PLURAL.test(k))) {
      const base = k.replace(PLURAL, '');
      expect(keys, k).toContain(`${base}_one`);
      expect(keys, k).toContain(`${base}_other`);
    }
  });

  it.each(UI_LANGUAGES)('%s has exactly the keys and plural forms it needs', async (lng) => {
    const catalogue = flatten(await CATALOGUES[lng]());
    const expected = expectedKeys(lng);
    const missing = [...expected.keys()].filter((k) => !catalogue.has(k));
    const extra = [...catalogue.keys()].filter((k) => !expected.has(k));
    expect(missing, `missing in ${lng}`).toEqual([]);
    expect(extra, `not in en (or a plural form ${lng} does not use)`).toEqual([]);
    for (const [k, v] of catalogue) {
      expect(v.trim(), `${lng} ${k} is empty`).not.toBe('');
      // The same placeholders as English (a plural form may leave out {{count}}, as "one" often does).
      const want = vars(expected.get(k)!).filter((x) => !(PLURAL.test(k) && x === 'count'));
      const got = vars(v).filter((x) => !(PLURAL.test(k) && x === 'count'));
      expect(got, `${lng} ${k} placeholders`).toEqual(want);
    }
  });

  it('negotiates the UI language from browser tags', () => {
    expect(negotiateLanguage(['pt-BR', 'en'])).toBe('pt');
    expect(negotiateLanguage(['sv-SE', 'ja'])).toBe('ja');
    expect(negotiateLanguage(['sv', 'zh-CN'])).toBeNull();
  });
});
