import { describe, expect, it } from 'vitest';
import { probeLocalSpeech, speechEngineProblems } from './engines.js';
import { type EspeakCatalog, espeakCatalog, isKnownEspeakVoice, resolveEspeakVoice } from './voices.js';
import { parseSphinxOutput } from './sphinx.js';
import { wordErrors, wordOverlap } from '@parley/testkit/speech';

const catalog: EspeakCatalog = {
  voices: new Set(['en-us', 'es', 'fr', 'gmw/en-us']),
  variants: new Set(['f3', 'Alex']),
};

describe('espeak-ng voice choice', () => {
  it('prefers a known explicit voice, then the language, then US English', () => {
    expect(resolveEspeakVoice('fr', 'en', catalog)).toBe('fr');
    expect(resolveEspeakVoice('en-us+f3', 'es', catalog)).toBe('en-us+f3');
    expect(resolveEspeakVoice('en-us+Alex', 'es', catalog)).toBe('en-us+Alex');
    expect(resolveEspeakVoice('en-us+f9', 'es', catalog)).toBe('es');
    expect(resolveEspeakVoice('794f9389-aac1-45b6-b726-9d9369183238', 'pt', catalog)).toBe('pt');
    expect(resolveEspeakVoice('-v --stdout', 'en', catalog)).toBe('en-us');
    expect(resolveEspeakVoice(null, 'pt-BR', catalog)).toBe('pt');
    expect(resolveEspeakVoice(null, 'sw', catalog)).toBe('en-us');
  });

  it('knows the voices installed here for every Parley language', () => {
    const known = espeakCatalog();
    for (const v of ['en-us', 'es', 'fr', 'de', 'it', 'pt', 'nl', 'ja', 'hi'])
      expect(isKnownEspeakVoice(v, known), v).toBe(true);
    expect(isKnownEspeakVoice('en-us+f3', known)).toBe(true);
    expect(isKnownEspeakVoice('alloy', known)).toBe(false);
  });
});

describe('engine probing', () => {
  it('reports missing binaries with the package to install', () => {
    expect(probeLocalSpeech({})).toEqual({ stt: true, tts: true });
    const missing = probeLocalSpeech({
      PARLEY_ESPEAK_BIN: '/nonexistent/espeak-ng',
      PARLEY_POCKETSPHINX_MODEL_DIR: '/nonexistent',
    });
    expect(missing.stt).toBe(false);
    expect(missing.tts).toBe(false);
    expect(missing.detail).toMatch(/pocketsphinx-en-us/);
    expect(missing.detail).toMatch(/apt-get install espeak-ng/);
  });

  it('reports what the configured local providers miss, as sentences and as data', async () => {
    const env = { PARLEY_ESPEAK_BIN: '/nonexistent/espeak-ng', PARLEY_POCKETSPHINX_MODEL_DIR: '/nonexistent' };
    const p = await speechEngineProblems({ stt: 'local', tts: 'local' }, env);
    expect(p.stt).toBe('PocketSphinx model missing under /nonexistent/en-us (apt-get install pocketsphinx-en-us)');
    expect(p.tts).toBe('/nonexistent/espeak-ng not found (apt-get install espeak-ng)');
    expect(p.missing).toEqual([
      { stage: 'stt', missing: 'model', name: '/nonexistent/en-us', package: 'pocketsphinx-en-us' },
      { stage: 'tts', missing: 'program', name: '/nonexistent/espeak-ng', package: 'espeak-ng' },
    ]);
    // Cloud providers need no local engine.
    expect(await speechEngineProblems({ stt: 'deepgram', tts: 'cartesia' }, env)).toEqual({});
  });
});

describe('transcript parsing and scoring', () => {
  it('reads pocketsphinx -time output, dropping fillers and pronunciation suffixes', () => {
    const out = [
      'the quick fox',
      '<s> 0.000 0.140 0.999800',
      'the(2) 0.150 0.270 0.556289',
      '[NOISE] 0.280 0.300 0.5',
      'quick 0.310 0.550 0.179335',
      '<sil> 0.560 0.600 0.9',
      'fox 0.910 1.280 1.000100',
      '</s> 2.890 2.940 1.000000',
      'again',
      'again 3.000 3.400 0.5',
    ].join('\n');
    const r = parseSphinxOutput(out);
    expect(r.text).toBe('the quick fox again');
    expect(r.words.map((w) => w.word)).toEqual(['the', 'quick', 'fox', 'again']);
    expect(r.words[2]!.confidence).toBe(1);
    expect(parseSphinxOutput('')).toEqual({ text: '', words: [] });
  });

  it('scores word errors and overlap', () => {
    expect(wordErrors('the quick brown fox', 'the quick brown fox')).toEqual({
      errors: 0,
      words: 4,
    });
    expect(wordErrors('the quick brown fox', 'a quick fox jumped')).toEqual({
      errors: 3,
      words: 4,
    });
    expect(wordOverlap('Open the door, please!', 'open a door please')).toBe(0.75);
  });
});
