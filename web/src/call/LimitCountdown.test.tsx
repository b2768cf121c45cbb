import { act, render, screen } from '@testing-library/react';
import { CALL_ENDS_AT_ATTRIBUTE, CALL_WARN_AT_ATTRIBUTE } from '@parley/protocol/call-limits';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentLimitCountdown } from './LimitCountdown';

// The agent participant's attributes as LiveKit's hook reports them.
const agent = vi.hoisted(() => ({ attributes: undefined as Record<string, string> | undefined }));
vi.mock('@livekit/components-react', () => ({ useVoiceAssistant: () => ({ agentAttributes: agent.attributes }) }));

const START = Date.parse('2025-03-01T10:00:00.000Z');

describe('the call limit countdown', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(START);
  });
  afterEach(() => {
    vi.useRealTimers();
    agent.attributes = undefined;
  });

  it('appears when the agent says the limit is near and counts down to the end', () => {
    agent.attributes = {
      [CALL_WARN_AT_ATTRIBUTE]: new Date(START + 50_000).toISOString(),
      [CALL_ENDS_AT_ATTRIBUTE]: new Date(START + 110_000).toISOString(),
    };
    render(<AgentLimitCountdown />);
    expect(screen.queryByTestId('call-limit')).toBeNull();
    act(() => void vi.advanceTimersByTime(49_000));
    expect(screen.queryByTestId('call-limit')).toBeNull();
    act(() => void vi.advanceTimersByTime(1_000));
    const box = screen.getByRole('alert');
    expect(box).toHaveTextContent('Call ending soon');
    expect(box).toHaveTextContent('Your time limit ends this call in 1:00.');
    act(() => void vi.advanceTimersByTime(45_000));
    expect(box).toHaveTextContent('ends this call in 0:15.');
    act(() => void vi.advanceTimersByTime(20_000));
    expect(screen.getByRole('alert')).toHaveTextContent('ends this call in 0:00.');
  });

  it('shows nothing for a call without a limit or with unreadable attributes', () => {
    render(<AgentLimitCountdown />);
    act(() => void vi.advanceTimersByTime(5_000));
    expect(screen.queryByTestId('call-limit')).toBeNull();
    agent.attributes = { [CALL_WARN_AT_ATTRIBUTE]: 'soon', [CALL_ENDS_AT_ATTRIBUTE]: 'later' };
    render(<AgentLimitCountdown />);
    act(() => void vi.advanceTimersByTime(5_000));
    expect(screen.queryByTestId('call-limit')).toBeNull();
  });
});
