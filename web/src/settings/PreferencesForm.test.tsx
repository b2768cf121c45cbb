import { LIMITS, type LanguageOption, type Preferences, type Voice } from '@parley/protocol';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { PreferencesForm } from './PreferencesForm';

const languages: LanguageOption[] = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Spanish' },
];
const voices: Voice[] = [
  { id: 'v-1', name: 'Calm', language: null },
  { id: 'v-2', name: 'Bright', language: null },
];
const prefs = (p: Partial<Preferences> = {}): Preferences => ({
  ttsVoice: null,
  language: 'en',
  favoriteTopics: [],
  systemPrompt: '',
  memory: false,
  ...p,
});

function setup(initial = prefs(), save = vi.fn(async (p: Preferences) => p)) {
  render(<PreferencesForm initial={initial} voices={voices} languages={languages} save={save} />);
  return { save, user: userEvent.setup() };
}

describe('<PreferencesForm>', () => {
  it('turns memory on (off by default) and saves it with the rest', async () => {
    const { save, user } = setup();
    const memory = screen.getByRole('checkbox', { name: 'Parley remembers our past conversations' });
    expect(memory).not.toBeChecked();
    await user.click(memory);
    await user.click(screen.getByRole('button', { name: 'Save preferences' }));
    await waitFor(() => expect(save).toHaveBeenCalledWith(expect.objectContaining({ memory: true })));
  });

  it('counts prompt characters against the shared limit', async () => {
    const { user } = setup();
    const prompt = screen.getByLabelText('Your instructions for Parley');
    await user.type(prompt, 'Be brief.');
    expect(screen.getByText(`9 / ${LIMITS.systemPrompt} characters`)).toBeInTheDocument();
    expect(prompt).not.toHaveAttribute('aria-invalid');
  });

  it('flags an over-long prompt and does not send it', async () => {
    const { save, user } = setup();
    const prompt = screen.getByLabelText('Your instructions for Parley');
    fireEvent.change(prompt, { target: { value: 'x'.repeat(LIMITS.systemPrompt + 5) } });
    expect(
      screen.getByText(`${LIMITS.systemPrompt + 5} / ${LIMITS.systemPrompt} characters — 5 too many`),
    ).toBeInTheDocument();
    expect(prompt).toHaveAttribute('aria-invalid', 'true');
    await user.click(screen.getByRole('button', { name: 'Save preferences' }));
    expect(
      await screen.findByText(`Keep your instructions within ${LIMITS.systemPrompt} characters.`),
    ).toBeInTheDocument();
    expect(save).not.toHaveBeenCalled();
  });

  it('marks a saved language that is not supported and refuses to save it until one is chosen', async () => {
    const { save, user } = setup(prefs({ language: 'xx' as Preferences['language'] }));
    const select = screen.getByLabelText('Language');
    expect(select).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('“xx” is not a supported language. Choose one from the list.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Save preferences' }));
    expect(await screen.findByText('Choose one of the supported languages.')).toBeInTheDocument();
    expect(save).not.toHaveBeenCalled();

    await user.selectOptions(select, 'es');
    await user.click(screen.getByRole('button', { name: 'Save preferences' }));
    await waitFor(() => expect(save).toHaveBeenCalledWith(prefs({ language: 'es' })));
    expect(await screen.findByText('Saved')).toBeInTheDocument();
  });

  it('shows the server’s validation messages at the fields they name', async () => {
    const save = vi.fn(async () => {
      throw new ApiError(400, 'validation_failed', 'The request is not valid.', [
        { path: ['ttsVoice'], message: 'Unknown voice for this provider.' },
      ]);
    });
    const { user } = setup(prefs(), save);
    await user.selectOptions(screen.getByLabelText('Voice'), 'v-2');
    await user.click(screen.getByRole('button', { name: 'Save preferences' }));
    expect(await screen.findByText('Unknown voice for this provider.')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('The request is not valid.');
    expect(screen.getByLabelText('Voice')).toHaveAttribute('aria-invalid', 'true');
  });

  it('adds topics with Enter, removes them, and stops at the limit', async () => {
    const many = Array.from({ length: LIMITS.topics - 1 }, (_, i) => `topic ${i}`);
    const { save, user } = setup(prefs({ favoriteTopics: many }));
    const input = screen.getByLabelText('Favourite topics');
    await user.type(input, 'sailing{Enter}');
    expect(screen.getByText('sailing')).toBeInTheDocument();
    expect(input).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Remove topic topic 0' }));
    expect(input).toBeEnabled();
    await user.click(screen.getByRole('button', { name: 'Save preferences' }));
    await waitFor(() => expect(save).toHaveBeenCalledWith(prefs({ favoriteTopics: [...many.slice(1), 'sailing'] })));
  });
});
