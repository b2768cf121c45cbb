import { initializeLogger, llm } from '@livekit/agents';
import * as openaiPlugin from '@livekit/agents-plugin-openai';
import OpenAI from 'openai';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '../speech';
import { startFakeOpenAI, type FakeOpenAI } from './openai';
import { pcmToFrames } from './frames';
import { rmsLevel } from './voice-signal';

beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const waitFor = async (cond: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('fake OpenAI with the real openai.LLM plugin and SDK', () => {
  it('streams the scripted reply token by token after ttftMs and records the system prompt', async () => {
    fake = await startFakeOpenAI({
      ttftMs: 120,
      tokenDelayMs: 5,
      reply: ({ messages }) => `Claro, hablemos de ${messages.at(-1)!.content}.`,
    });
    const model = new openaiPlugin.LLM({ baseURL: fake.baseURL, apiKey: 'test', model: 'gpt-4.1-mini' });
    model.prewarm();
    await waitFor(() => fake!.modelListRequests === 1);

    const chatCtx = llm.ChatContext.empty();
    chatCtx.addMessage({ role: 'system', content: 'Eres Parley. Temas favoritos: jazz, ajedrez.' });
    chatCtx.addMessage({ role: 'user', content: 'jazz' });
    const t0 = performance.now();
    let firstTokenMs = -1;
    let text = '';
    let usage: llm.CompletionUsage | undefined;
    for await (const chunk of model.chat({ chatCtx })) {
      if (chunk.delta?.content) {
        if (firstTokenMs < 0) firstTokenMs = performance.now() - t0;
        text += chunk.delta.content;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    console.log(`[fake-openai] first token ${firstTokenMs.toFixed(0)} ms after chat() (ttftMs 120)`);

    expect(text).toBe('Claro, hablemos de jazz.');
    expect(firstTokenMs).toBeGreaterThanOrEqual(115);
    expect(firstTokenMs).toBeLessThan(600);
    expect(usage?.completionTokens).toBe(4);
    const req = fake.chatRequests[0]!;
    expect(req.stream).toBe(true);
    expect(req.model).toBe('gpt-4.1-mini');
    expect(req.body.stream_options).toEqual({ include_usage: true });
    expect(req.messages[0]).toMatchObject({ role: 'system' });
    expect(JSON.stringify(req.messages[0].content)).toContain('Temas favoritos: jazz, ajedrez.');
  });

  it('answers a non-streaming chat completion from the openai SDK with the titles function', async () => {
    fake = await startFakeOpenAI({ titles: (text) => `Title: ${text.slice(0, 12)}` });
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [
        { role: 'system', content: 'Give the conversation a short title.' },
        { role: 'user', content: 'Weather in Madrid tomorrow' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toBe('Title: Weather in M');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(fake.chatRequests[0]!.stream).toBe(false);

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4.1');
    const anonymous = await fetch(`${fake.baseURL}/models`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });

  it('streams a default reply that echoes the last user message to the openai SDK', async () => {
    fake = await startFakeOpenAI();
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1',
      stream: true,
      messages: [{ role: 'user', content: 'tell me about the weather in Madrid tomorrow' }],
    });
    let text = '';
    const finishReasons: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishReasons.push(chunk.choices[0].finish_reason);
    }
    expect(text).toBe('You said: tell me about the weather in Madrid tomorrow. Tell me more.');
    expect(finishReasons).toEqual(['stop']);
  });

  it('serves /audio/speech as voiced PCM 24 kHz through the real openai.TTS plugin', async () => {
    fake = await startFakeOpenAI({ msPerChar: 50 });
    const tts = new openaiPlugin.TTS({
      baseURL: fake.baseURL,
      apiKey: 'test',
      voice: 'nova',
      model: 'gpt-4o-mini-tts',
    });
    const text = 'Hello from the fake speech endpoint.';
    const t0 = performance.now();
    let firstFrameMs = -1;
    let samples = 0;
    let sumSq = 0;
    for await (const audio of tts.synthesize(text)) {
      if (firstFrameMs < 0) firstFrameMs = performance.now() - t0;
      expect(audio.frame.sampleRate).toBe(24000);
      samples += audio.frame.samplesPerChannel;
      sumSq += rmsLevel(audio.frame.data) ** 2 * audio.frame.samplesPerChannel;
    }
    console.log(`[fake-openai] /audio/speech first frame ${firstFrameMs.toFixed(0)} ms`);
    expect(samples / 24000).toBeCloseTo((text.length * 50) / 1000, 1);
    expect(Math.sqrt(sumSq / samples)).toBeGreaterThan(0.05);
    expect(fake.speechRequests[0]).toMatchObject({
      input: text,
      voice: 'nova',
      model: 'gpt-4o-mini-tts',
      response_format: 'pcm',
    });
  });

  it('transcribes multipart uploads from the real openai.STT plugin (useRealtime: false)', async () => {
    fake = await startFakeOpenAI({ transcriptions: ['¿Qué tiempo hará mañana?'] });
    const speech = await synthesizeSpeechWav('Qué tiempo hará mañana', { lang: 'es' });
    const sttModel = new openaiPlugin.STT({
      baseURL: fake.baseURL,
      apiKey: 'test',
      useRealtime: false,
      language: 'es',
    });
    const event = await sttModel.recognize(pcmToFrames(speech.pcm, speech.sampleRate, { frameMs: 100 }));
    expect(event.alternatives?.[0]?.text).toBe('¿Qué tiempo hará mañana?');
    expect(fake.transcriptionRequests).toBe(1);
    expect(fake.transcriptions[0]).toMatchObject({ model: 'whisper-1', language: 'es' });
    expect(fake.transcriptions[0]!.fileBytes).toBeGreaterThan(speech.pcm.length * 2);
  });

  it('stalls a streamed chat completion: accepted, then not one byte; the SDK times out on its timeout', async () => {
    fake = await startFakeOpenAI({ reply: () => 'never sent' });
    fake.faults.chat = 'stall';
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'k', maxRetries: 0 });
    const started = Date.now();
    const request = client.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { timeout: 600 },
    );
    await expect(request).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(fake.faultsInjected.chat).toBe(1);
  });
});
