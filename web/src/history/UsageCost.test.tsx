import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { UsageCost as Cost } from '../api/me';
import { fetchStub } from '../../test/fixtures';
import { UsageCost } from './UsageCost';

const figures = { sttAudioSeconds: 90, llmPromptTokens: 1200, llmCompletionTokens: 340, ttsCharacters: 2100 };
const month = (m: string, withCall: boolean): Cost => ({
  month: m,
  currency: 'USD',
  total: withCall
    ? { ...figures, calls: 1, minutes: 2.5, costUsd: 0.1234, unpriced: true }
    : {
        sttAudioSeconds: 0,
        llmPromptTokens: 0,
        llmCompletionTokens: 0,
        ttsCharacters: 0,
        calls: 0,
        minutes: 0,
        costUsd: 0,
        unpriced: false,
      },
  conversations: withCall
    ? [
        {
          ...figures,
          conversationId: '00000000-0000-4000-8000-000000000001',
          title: 'Tides and moons',
          startedAt: `${m}-03T10:00:00.000Z`,
          minutes: 2.5,
          costUsd: 0.1234,
          unpriced: true,
        },
      ]
    : [],
});

describe('<UsageCost>', () => {
  let stub: ReturnType<typeof fetchStub>;
  const now = new Date().toISOString().slice(0, 7);
  beforeEach(() => {
    stub = fetchStub({
      'GET /api/me/usage/cost': (url) => {
        const m = url.searchParams.get('month');
        return { body: month(m ?? now, !m) };
      },
    });
    vi.stubGlobal('fetch', stub.fn);
  });

  it("shows this month's estimated cost and each call's, and steps back a month", async () => {
    render(
      <MemoryRouter>
        <UsageCost />
      </MemoryRouter>,
    );
    const section = await screen.findByRole('region', { name: /Usage and cost/ });
    expect(within(section).getByText('$0.12')).toBeTruthy();
    expect(within(section).getByText('1,200 / 340')).toBeTruthy();
    expect(within(section).getByRole('link', { name: 'Tides and moons' }).getAttribute('href')).toBe(
      '/history/00000000-0000-4000-8000-000000000001',
    );
    expect(within(section).getByText(/no price configured/)).toBeTruthy();
    expect((within(section).getByRole('button', { name: /Next month/ }) as HTMLButtonElement).disabled).toBe(true);

    await userEvent.click(within(section).getByRole('button', { name: /Previous month/ }));
    expect(await within(section).findByText('No calls this month.')).toBeTruthy();
    const asked = stub.calls.map((c) => c.url.searchParams.get('month'));
    expect(asked[0]).toBeNull();
    expect(asked.at(-1)).toMatch(/^\d{4}-\d{2}$/);
    expect(asked.at(-1)! < now).toBe(true);
  });
});
