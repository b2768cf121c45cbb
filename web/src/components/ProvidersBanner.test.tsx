import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProvidersBanner } from './ProvidersBanner';

/** GET /api/providers answered with `body` (the client's real fetch path, the server stubbed). */
function serve(body: unknown) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })),
  );
}

describe('ProvidersBanner', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('says what is missing on the server instead of the offline-mode note', async () => {
    serve({
      stt: 'local',
      llm: 'offline',
      tts: 'local',
      unavailable: [
        'speech recognition is not installed on the server: pocketsphinx_continuous not found (apt-get install pocketsphinx)',
      ],
    });
    render(<ProvidersBanner />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Voice calls cannot work on this server.');
    expect(alert.textContent).toContain(
      'Speech recognition is not installed on the server: pocketsphinx_continuous not found (apt-get install pocketsphinx).',
    );
    expect(screen.queryByText(/Offline voice mode/)).toBeNull();
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
