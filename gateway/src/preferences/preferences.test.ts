import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, LIMITS } from '@parley/protocol';
import { startTestGateway, type TestGateway } from '@parley/testkit';
import { RecordingClient, registerUser } from '@parley/testkit/accounts';

describe('voice preferences (local TTS provider)', () => {
  let gw: TestGateway;
  const valid = {
    ttsVoice: 'es-419',
    language: 'es',
    favoriteTopics: ['football', 'cooking'],
    systemPrompt: 'Speak slowly.',
    memory: true,
  };
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it('answers the defaults until saved, then exactly what was saved', async () => {
    const c = new RecordingClient(gw.url);
    const { id } = await registerUser(c);
    expect((await c.get('/api/me/preferences')).body).toEqual({ preferences: DEFAULT_PREFERENCES });
    const put = await c.put('/api/me/preferences', valid);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ preferences: valid });
    expect((await c.get('/api/me/preferences')).body).toEqual({ preferences: valid });
    const reset = await c.put('/api/me/preferences', { ...valid, ttsVoice: null });
    expect(reset.body.preferences.ttsVoice).toBeNull();
    // PUT replaces the whole object: memory left out is memory off (its default).
    const { memory: _omitted, ...withoutMemory } = valid;
    expect((await c.put('/api/me/preferences', { ...withoutMemory, ttsVoice: null })).body.preferences.memory).toBe(
      false,
    );
    const audit = (await gw.ctx.repos.audit.list(id)).filter((e) => e.type === 'preferences_change');
    expect(audit.map((e) => e.details)).toEqual([
      { fields: ['memory'] },
      { fields: ['ttsVoice'] },
      { fields: ['ttsVoice', 'language', 'favoriteTopics', 'systemPrompt', 'memory'] },
    ]);
    expect(JSON.stringify(audit)).not.toContain('Speak slowly');
  });

  it('refuses an unknown voice with 400', async () => {
    const c = new RecordingClient(gw.url);
    await registerUser(c);
    const r = await c.put('/api/me/preferences', { ...valid, ttsVoice: 'alloy' }); // an OpenAI voice, not espeak-ng
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'ttsVoice' }] });
    expect((await c.get('/api/me/preferences')).body).toEqual({ preferences: DEFAULT_PREFERENCES });
  });

  it('refuses an unknown language with 400', async () => {
    const c = new RecordingClient(gw.url);
    await registerUser(c);
    const r = await c.put('/api/me/preferences', { ...valid, language: 'xx' });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('language');
  });

  it('refuses an over-long system prompt with 400 (the limit itself is accepted)', async () => {
    const c = new RecordingClient(gw.url);
    await registerUser(c);
    const over = await c.put('/api/me/preferences', { ...valid, systemPrompt: 'a'.repeat(LIMITS.systemPrompt + 1) });
    expect(over.status).toBe(400);
    expect(over.body.error.details[0].path).toBe('systemPrompt');
    expect(over.text).not.toContain('aaaa'); // details never echo the rejected value
    const atLimit = await c.put('/api/me/preferences', { ...valid, systemPrompt: 'a'.repeat(LIMITS.systemPrompt) });
    expect(atLimit.status).toBe(200);
  });

  it('refuses too many or too long topics, a missing field and an extra field', async () => {
    const c = new RecordingClient(gw.url);
    await registerUser(c);
    const tooMany = Array.from({ length: LIMITS.topics + 1 }, (_, i) => `t${i}`);
    expect((await c.put('/api/me/preferences', { ...valid, favoriteTopics: tooMany })).status).toBe(400);
    expect((await c.put('/api/me/preferences', { ...valid, favoriteTopics: ['x'.repeat(61)] })).status).toBe(400);
    const { systemPrompt: _omit, ...missing } = valid;
    expect((await c.put('/api/me/preferences', missing)).status).toBe(400);
    expect((await c.put('/api/me/preferences', { ...valid, extra: 1 })).status).toBe(400);
  });
});
