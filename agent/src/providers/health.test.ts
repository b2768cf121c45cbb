import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ProviderHealth, type ProviderStatusChange } from './health';

describe('ProviderHealth', () => {
  const primary = { name: 'primary' };
  const fallback = { name: 'fallback' };

  function setUp() {
    const adapter = new EventEmitter();
    const changes: ProviderStatusChange[] = [];
    const health = new ProviderHealth(
      {
        llm: { names: ['openai', 'openai-compatible'], instances: [primary, fallback], adapter },
        stt: { names: ['local'], instances: [{}], adapter: null },
      },
      (c) => changes.push(c),
    );
    return { adapter, changes, health };
  }

  it('serves from the fallback from the moment the primary fails, and reports the failover once', () => {
    const { adapter, changes, health } = setUp();
    expect(health.turnServed(['llm', 'stt'])).toEqual({ llm: 'openai', stt: 'local' });
    adapter.emit('llm_availability_changed', { llm: primary, available: false });
    adapter.emit('llm_availability_changed', { llm: primary, available: false });
    expect(health.serving('llm')).toBe('openai-compatible');
    expect(changes).toEqual([{ stage: 'llm', provider: 'openai', available: false, serving: 'openai-compatible' }]);
    expect(health.turnServed(['llm'])).toEqual({ llm: 'openai-compatible' });
  });

  it('credits a turn answered by the fallback to it even if the primary recovers before the turn is stored', () => {
    const { adapter, changes, health } = setUp();
    adapter.emit('llm_availability_changed', { llm: primary, available: false });
    adapter.emit('llm_availability_changed', { llm: primary, available: true });
    expect(changes.at(-1)).toEqual({ stage: 'llm', provider: 'openai', available: true, serving: 'openai' });
    expect(health.turnServed(['llm'])).toEqual({ llm: 'openai-compatible' });
    expect(health.turnServed(['llm'])).toEqual({ llm: 'openai' });
  });

  it('reports no provider left when the whole chain failed, and ignores instances it does not know', () => {
    const { adapter, changes } = setUp();
    adapter.emit('llm_availability_changed', { llm: {}, available: false });
    expect(changes).toEqual([]);
    adapter.emit('llm_availability_changed', { llm: primary, available: false });
    adapter.emit('llm_availability_changed', { llm: fallback, available: false });
    expect(changes.at(-1)).toMatchObject({ provider: 'openai-compatible', serving: null });
  });
});
