import { initializeLogger, llm } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOfflineLlm } from './index.js';
import { offlineReply } from './offline-llm.js';

function conversation(...turns: [llm.ChatRole, string][]): llm.ChatContext {
  const ctx = llm.ChatContext.empty();
  ctx.addMessage({
    role: 'system',
    content: 'You are a helpful voice assistant.',
  });
  for (const [role, content] of turns) ctx.addMessage({ role, content });
  return ctx;
}

describe('offline LLM responder', () => {
  beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

  it('says no model is configured and repeats the last user turn, streamed with usage', async () => {
    const model = createOfflineLlm();
    expect(model).toBeInstanceOf(llm.LLM);
    const metrics: unknown[] = [];
    model.on('metrics_collected', (m) => metrics.push(m));
    const stream = model.chat({
      chatCtx: conversation(['user', 'first thing'], ['assistant', 'ok'], ['user', 'what is the weather like']),
    });
    const chunks: llm.ChatChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.delta?.content ?? '').join('');
    expect(text).toBe('No language model is configured, so I can only repeat what I heard: what is the weather like.');
    expect(chunks.filter((c) => c.delta?.content).length).toBeGreaterThan(5);
    const usage = chunks.at(-1)!.usage!;
    expect(usage.completionTokens).toBeGreaterThan(0);
    expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
    await expect.poll(() => metrics.length).toBe(1);
    expect(metrics[0]).toMatchObject({
      type: 'llm_metrics',
      label: 'local.OfflineLLM',
      cancelled: false,
    });
  });

  it('answers in Spanish for Spanish callers', async () => {
    const res = await createOfflineLlm({ language: 'es' })
      .chat({ chatCtx: conversation(['user', 'hola, ¿qué tal?']) })
      .collect();
    expect(res.text).toBe(
      'No hay ningún modelo de lenguaje configurado, así que solo puedo repetir lo que he oído: hola, ¿qué tal?',
    );
  });

  it('greets when there is nothing to repeat yet', async () => {
    const res = await createOfflineLlm().chat({ chatCtx: conversation() }).collect();
    expect(res.text).toMatch(/^Hello! No language model is configured/);
    expect(offlineReply('   ', 'de')).toMatch(/^Hallo!/);
    expect(offlineReply('ok', 'xx')).toBe('No language model is configured, so I can only repeat what I heard: ok.');
  });
});
