import { render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { UsageSummary } from './UsageSummary';

const USAGE = { calls: 14, minutesTalked: 83.5, turns: 212, medianTurnLatencyMs: 1040, activeDayStreak: 3 };

/** GET /api/account/usage answered when `answer` is called (the client's real fetch path). */
function serveLater() {
  let answer!: (r: Response) => void;
  vi.stubGlobal(
    'fetch',
    vi.fn(() => new Promise<Response>((r) => (answer = r))),
  );
  return (status: number, body: unknown) =>
    answer(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
}

const boxes = (el: HTMLElement) => [...el.querySelectorAll('.usage-item')].map((i) => i.textContent);

describe('UsageSummary', () => {
  it('holds the five boxes, labelled and hidden from assistive technology, until the figures come', async () => {
    const answer = serveLater();
    const { container } = render(<UsageSummary />);
    const pending = screen.getByTestId('usage-pending');
    expect(pending).toHaveAttribute('aria-hidden', 'true');
    expect(boxes(container)).toEqual([
      'Calls\u00a0',
      'Minutes talked\u00a0',
      'Turns\u00a0',
      'Median reply time\u00a0',
      'Day streak\u00a0',
    ]);
    answer(200, USAGE);
    expect(await screen.findByText('212')).toBeInTheDocument();
    expect(screen.queryByTestId('usage-pending')).toBeNull();
    expect(boxes(container)).toEqual([
      'Calls14',
      'Minutes talked84',
      'Turns212',
      'Median reply time1 sec',
      'Day streak3',
    ]);
    expect(container.querySelector('dl')).not.toHaveAttribute('aria-hidden');
  });

  it('leaves no empty boxes behind when the usage route fails', async () => {
    const answer = serveLater();
    const { container } = render(<UsageSummary />);
    expect(boxes(container)).toHaveLength(5);
    answer(500, { error: { code: 'internal', message: 'boom' } });
    await vi.waitFor(() => expect(container.querySelector('dl')).toBeNull());
  });
});
