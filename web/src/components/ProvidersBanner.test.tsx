import { render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CATALOGUES } from '@parley/protocol/i18n';
import { i18n, setUiLanguage } from '../i18n';
import { ProvidersBanner } from './ProvidersBanner';

/** GET /api/providers answered with `body` (the client's real fetch path, the server stubbed). */
function serve(body: unknown) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })),
  );
}

describe('ProvidersBanner', { timeout: 30_000 }, () => {
  afterEach(() => vi.unstubAllGlobals());

  const MISSING = {
    stt: 'local',
    llm: 'offline',
    tts: 'local',
    unavailable: [
      'speech recognition is not installed on the server: pocketsphinx_continuous not found (apt-get install pocketsphinx)',
      'speech synthesis is not installed on the server: espeak-ng not found (apt-get install espeak-ng)',
    ],
    missingEngines: [
      { stage: 'stt', missing: 'model', name: '/opt/ps/en-us', package: 'pocketsphinx-en-us' },
      { stage: 'tts', missing: 'program', name: 'espeak-ng', package: 'espeak-ng' },
    ],
  };

  it('says what is missing on the server instead of the offline-mode note', async () => {
    serve(MISSING);
    render(<ProvidersBanner />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Voice calls cannot work on this server.');
    expect(
      within(alert)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([
      'Speech recognition is not installed on the server: its model is missing under /opt/ps/en-us (apt-get install pocketsphinx-en-us).',
      'Speech synthesis is not installed on the server: the program espeak-ng was not found (apt-get install espeak-ng).',
    ]);
    expect(screen.queryByText(/Offline voice mode/)).toBeNull();
  });

  it('says it in the UI language, program and package names as they are', async () => {
    const es = await CATALOGUES.es();
    await setUiLanguage('es', { remember: false });
    try {
      serve(MISSING);
      render(<ProvidersBanner />);
      const alert = await screen.findByRole('alert');
      expect(alert.textContent).toContain(es.providers.unavailableTitle);
      expect(within(alert).getAllByRole('listitem')[1]!.textContent).toBe(
        'Falta la síntesis de voz en el servidor: no se encontró el programa espeak-ng (apt-get install espeak-ng).',
      );
    } finally {
      await i18n.changeLanguage('en');
    }
  });

  it('shows the server’s own sentence when its agent does not report missing engines as data', async () => {
    serve({ ...MISSING, missingEngines: undefined });
    render(<ProvidersBanner />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain(
      'Speech recognition is not installed on the server: pocketsphinx_continuous not found (apt-get install pocketsphinx).',
    );
  });

  it('shows the offline-mode note when the local engines are there', async () => {
    serve({ stt: 'local', llm: 'offline', tts: 'local', unavailable: [] });
    render(<ProvidersBanner />);
    expect((await screen.findByRole('note')).textContent).toContain('Offline voice mode.');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('names a failing provider and the fallback serving calls instead', async () => {
    serve({
      stt: 'deepgram',
      llm: 'openai',
      tts: 'cartesia',
      unavailable: [],
      degraded: [{ stage: 'tts', provider: 'cartesia', fallback: 'openai', since: new Date().toISOString() }],
    });
    render(<ProvidersBanner />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('A provider is failing; calls go on with a fallback.');
    expect(alert.textContent).toContain('The voice (cartesia) is failing; openai answers instead.');
  });
});
