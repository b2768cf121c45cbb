import type { LanguageOption, Preferences, Voice } from '@parley/protocol';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PreferencesForm } from './PreferencesForm';

const languages: LanguageOption[] = [
  { code: 'en', name: 'English' },
  { code: 'fr', name: 'French' },
];
const voices: Voice[] = [
  { id: 'any', name: 'Every language', language: null },
  { id: 'en-1', name: 'Ava', language: 'en' },
  { id: 'fr-1', name: 'Bastien', language: 'fr' },
];
const prefs = (p: Partial<Preferences> = {}): Preferences => ({
  ttsVoice: null,
  language: 'en',
  favoriteTopics: [],
  systemPrompt: '',
  memory: false,
  ...p,
});

describe('voice preview and the voice list in Settings', () => {
  const fetches: string[] = [];
  let answer: () => Response;
  beforeEach(() => {
    fetches.length = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        fetches.push(url);
        return answer();
      }),
    );
    let n = 0;
    URL.createObjectURL = vi.fn(() => `blob:sample-${++n}`);
    URL.revokeObjectURL = vi.fn();
  });
  afterEach(() => vi.unstubAllGlobals());

  const setup = (initial = prefs()) => {
    render(<PreferencesForm initial={initial} voices={voices} languages={languages} save={vi.fn()} />);
    return userEvent.setup();
  };
  const voiceNames = () =>
    within(screen.getByLabelText('Voice'))
      .getAllByRole('option')
      .map((o) => o.textContent);

  it('plays a sample of the chosen voice in the chosen language, and a new choice drops it', async () => {
    answer = () => new Response(new Blob([new Uint8Array(64)], { type: 'audio/wav' }), { status: 200 });
    const user = setup(prefs({ ttsVoice: 'en-1' }));
    await user.click(screen.getByRole('button', { name: 'Play a sample' }));
    const audio = await screen.findByLabelText('Sample of the chosen voice');
    expect(audio.tagName).toBe('AUDIO');
    expect(audio.getAttribute('src')).toBe('blob:sample-1');
    expect(fetches).toEqual(['/api/voices/preview?voice=en-1&language=en']);

    await user.selectOptions(screen.getByLabelText('Language'), 'fr');
    expect(screen.queryByLabelText('Sample of the chosen voice')).toBeNull();
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:sample-1');
    await user.selectOptions(screen.getByLabelText('Voice'), '');
    await user.click(screen.getByRole('button', { name: 'Play a sample' }));
    await screen.findByLabelText('Sample of the chosen voice');
    // No voice chosen: the server's default voice (no voice parameter).
    expect(fetches[1]).toBe('/api/voices/preview?language=fr');
  });

  it('shows the server’s refusal instead of playing an error body', async () => {
    answer = () =>
      new Response(
        JSON.stringify({ error: { code: 'preview_failed', message: 'The text-to-speech provider did not answer.' } }),
        { status: 502, headers: { 'content-type': 'application/json' } },
      );
    const user = setup();
    await user.click(screen.getByRole('button', { name: 'Play a sample' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('The sample could not be played: The text-to-speech provider did not answer.');
    expect(screen.queryByLabelText('Sample of the chosen voice')).toBeNull();
  });

  it('lists the voices for the chosen language and those that speak any; the chosen voice stays', async () => {
    const user = setup();
    expect(voiceNames()).toEqual(['Default voice', 'Every language', 'Ava (en)']);
    expect(screen.getByText(/Voices for other languages are hidden/).textContent).toContain('English');
    await user.selectOptions(screen.getByLabelText('Language'), 'fr');
    expect(voiceNames()).toEqual(['Default voice', 'Every language', 'Bastien (fr)']);
    await user.selectOptions(screen.getByLabelText('Voice'), 'fr-1');
    await user.selectOptions(screen.getByLabelText('Language'), 'en');
    await waitFor(() => expect(voiceNames()).toEqual(['Default voice', 'Every language', 'Ava (en)', 'Bastien (fr)']));
  });
});
