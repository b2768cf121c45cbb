import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '@parley/protocol';
import { limitSchedule, limitWarningFor } from './limits';

describe('call limit schedule and warning', () => {
  it('warns warnSeconds before the end, at once for a shorter call, never with 0', () => {
    expect(limitSchedule(1_000, 120, 60)).toEqual({ endsAt: 121_000, warnAt: 61_000, warns: true });
    expect(limitSchedule(1_000, 30, 60)).toEqual({ endsAt: 31_000, warnAt: 1_000, warns: true });
    expect(limitSchedule(1_000, 30, 0).warns).toBe(false);
  });

  it('says the seconds left in every UI language, English for an unknown one', () => {
    const texts = LANGUAGES.map((l) => limitWarningFor(l.code, 42));
    for (const text of texts) expect(text).toContain('42');
    expect(new Set(texts).size).toBe(LANGUAGES.length);
    expect(limitWarningFor('xx', 9)).toBe(limitWarningFor('en', 9));
    expect(limitWarningFor('es', 8)).toBe('Aviso: esta llamada termina en 8 segundos por el límite de tiempo.');
  });
});
