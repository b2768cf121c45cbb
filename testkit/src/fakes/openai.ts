// A local OpenAI-compatible API for tests and benchmarks: the parts Parley's providers use.
//   GET  /v1/models                 (the LLM plugin's prewarm)
//   POST /v1/chat/completions       streaming (SSE chat.completion.chunk) and non-streaming (titles)
//   POST /v1/audio/speech           raw PCM s16le 24 kHz mono (response_format "pcm")
//   POST /v1/audio/transcriptions   multipart upload, JSON `{ text }` reply
//   GET  /v1/realtime?intent=transcription   realtime transcription WebSocket (openai-realtime.ts)
// Replies are scripted; nothing is generated or recognised.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLocal, readBody, sendJson, sleep } from './listen';
import { attachRealtimeTranscription, type FakeRealtimeSttSession } from './openai-realtime';
import { pcm16Bytes, voiceSignal } from './voice-signal';

export interface FakeChatMessage {
  role: string;
  /** Text content; array-of-parts content is flattened to its text parts. */
  content: string;
}

export interface FakeOpenAIOptions {
  /** Streaming reply text for a chat request; default echoes the last user message. */
  reply?: (req: { messages: FakeChatMessage[]; model: string }) => string;
  /** Delay before the first content token of a streamed reply (default 0). */
  ttftMs?: number;
  /** Delay between streamed tokens (default 5). */
  tokenDelayMs?: number;
  /**
   * Function calls to answer a streamed chat request with instead of text (streamed `tool_calls`
   * deltas, finish_reason "tool_calls"), as OpenAI does; null or [] answers with text. `tools`
   * holds the function names the request offered. The follow-up request carries the results as
   * `tool` messages and is answered by `reply`.
   */
  toolCalls?: (req: {
    messages: FakeChatMessage[];
    tools: string[];
  }) => Array<{ name: string; arguments: Record<string, unknown> }> | null;
  /** Non-streaming chat reply (e.g. conversation titles), given the last user message's text. */
  titles?: (text: string) => string;
  /**
   * Transcripts, one per utterance, in order, whichever way it is transcribed (/audio/transcriptions
   * or the realtime socket); then "I heard something".
   */
  transcriptions?: string[];
  /** Realtime transcription: delay between the end of speech and the transcript (default 0). */
  realtimeFinalDelayMs?: number;
  /** Delay before /audio/speech answers (default 0). */
  speechDelayMs?: number;
  /** Milliseconds of speech audio per character for /audio/speech (default 55). */
  msPerChar?: number;
}

export interface FakeChatRequest {
  model: string;
  messages: any[];
  stream: boolean;
  body: any;
  /** The streamed reply, once sent in full (the same text pushed to `repliesStreamed`). */
  reply?: string;
}

export interface FakeTranscriptionRequest {
  model: string;
  language: string | undefined;
  /** Bytes of the uploaded file (a WAV). */
  fileBytes: number;
}

export interface FakeOpenAI {
  /** Base URL including `/v1`, for `new openai.LLM({ baseURL })` and `new OpenAI({ baseURL })`. */
  baseURL: string;
  chatRequests: FakeChatRequest[];
  /** Bodies of /audio/speech requests (`{ input, model, voice, response_format, speed, ... }`). */
  speechRequests: any[];
  /** How many /audio/transcriptions requests arrived. */
  readonly transcriptionRequests: number;
  /** Details of each /audio/transcriptions request. */
  transcriptions: FakeTranscriptionRequest[];
  /** Number of GET /v1/models requests. */
  readonly modelListRequests: number;
  /** Streamed replies sent in full (the independent record of what the agent was given to say). */
  repliesStreamed: string[];
  /** The usage chunk of each streamed reply, as sent (what the client is told it used). */
  streamedUsage: Array<{ promptTokens: number; completionTokens: number }>;
  /** Function calls streamed (see FakeOpenAIOptions.toolCalls), in order. */
  toolCallsSent: Array<{ id: string; name: string; arguments: string }>;
  /**
   * Holds every streamed reply before its first token until releaseReplies() (fault tests: a reply
   * the LLM was asked for and has not answered yet). `heldReplies` counts the requests waiting.
   */
  holdReplies(): void;
  /** Releases the held replies (`which`: only those whose text it accepts; holding goes on for the rest and for new ones). */
  releaseReplies(which?: (reply: string) => boolean): void;
  readonly heldReplies: number;
  /** Realtime transcription connections, in order. */
  realtimeSessions: FakeRealtimeSttSession[];
  /** Completed transcripts, in order, from either transcription path. */
  transcriptsSent: string[];
  /** Fault knobs, changeable while a call runs (see FakeOpenAIFaults). */
  faults: FakeOpenAIFaults;
  /** How many requests (realtime: connections refused or dropped, transcripts withheld) each fault hit. */
  faultsInjected: Record<keyof FakeOpenAIFaults, number>;
  close(): Promise<void>;
}

/**
 * What goes wrong, per endpoint, from now on (null: nothing). Set them while a call runs.
 * - `http_500`: the request is answered 500 (`server_error`); a realtime upgrade is refused 503.
 * - `drop`: the connection is destroyed (a streamed reply after its first token; open realtime
 *   sockets at once, and new ones are refused).
 * - `stall`: the request is accepted and then nothing is sent, not even the status line (the
 *   connection stays open); realtime transcripts are never sent.
 */
export type FakeFault = 'http_500' | 'drop' | 'stall' | null;
export interface FakeOpenAIFaults {
  chat: FakeFault;
  speech: FakeFault;
  transcriptions: FakeFault;
  realtime: FakeFault;
}

export const FAKE_MODELS = ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o-mini', 'tts-1', 'gpt-4o-mini-tts', 'whisper-1'];

export function defaultReply(messages: FakeChatMessage[]): string {
  const last = [...messages]
    .reverse()
    .find((m) => m.role === 'user')
    ?.content.trim();
  if (!last) return 'Hello! How can I help you today?';
  return `You said: ${last.replace(/[.!?]+$/, '')}. Tell me more.`;
}

export function defaultTitle(text: string): string {
  const words = text
    .replace(/[^\p{L}\p{N}\s']/gu, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 5);
  if (!words.length) return 'New conversation';
  const title = words.join(' ');
  return title.charAt(0).toUpperCase() + title.slice(1);
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const chatRequests: FakeChatRequest[] = [];
  const speechRequests: any[] = [];
  const transcriptions: FakeTranscriptionRequest[] = [];
  const transcriptScript = [...(opts.transcriptions ?? [])];
  const transcriptsSent: string[] = [];
  const nextTranscript = () => {
    const text = transcriptScript.shift() ?? 'I heard something';
    transcriptsSent.push(text);
    return text;
  };
  const faults: FakeOpenAIFaults = { chat: null, speech: null, transcriptions: null, realtime: null };
  const faultsInjected: Record<keyof FakeOpenAIFaults, number> = { chat: 0, speech: 0, transcriptions: 0, realtime: 0 };
  /** Reads a knob and counts the hit: faults are asserted to have happened, not just been set. */
  const hit = (endpoint: keyof FakeOpenAIFaults): FakeFault => {
    const f = faults[endpoint];
    if (f) faultsInjected[endpoint]++;
    return f;
  };
  /** Sockets held open by `stall` faults, destroyed on close. */
  const stalled = new Set<ServerResponse>();
  let modelListRequests = 0;
  const repliesStreamed: string[] = [];
  const streamedUsage: FakeOpenAI['streamedUsage'] = [];
  const toolCallsSent: FakeOpenAI['toolCallsSent'] = [];
  let holding = false;
  /** Replies held before their first token, with the text each will stream. */
  const held = new Set<{ reply: string; open: () => void }>();
  const release = (which?: (reply: string) => boolean) => {
    for (const h of [...held])
      if (!which || which(h.reply)) {
        held.delete(h);
        h.open();
      }
  };
  let heldReplies = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
      return sendError(res, 401, 'invalid_api_key', 'Incorrect API key provided.');
    }
    if (req.method === 'GET' && path === '/v1/models') {
      modelListRequests++;
      return sendJson(res, 200, {
        object: 'list',
        data: FAKE_MODELS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'parley-fake' })),
      });
    }
    if (req.method !== 'POST') return sendError(res, 404, 'unknown_url', `Unknown request URL: ${req.method} ${path}`);
    const raw = await readBody(req);
    if (path === '/v1/audio/transcriptions') return transcribe(req, res, raw);
    let body: any;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(res, 400, 'invalid_json', 'We could not parse the JSON body of your request.');
    }
    if (path === '/v1/chat/completions') return chat(req, res, body);
    if (path === '/v1/audio/speech') return speech(res, body);
    return sendError(res, 404, 'unknown_url', `Unknown request URL: POST ${path}`);
  };

  const chat = async (req: IncomingMessage, res: ServerResponse, body: any) => {
    if (typeof body?.model !== 'string' || !Array.isArray(body?.messages)) {
      return sendError(res, 400, 'invalid_request', "Missing required parameter: 'model' or 'messages'.");
    }
    const stream = body.stream === true;
    const request: FakeChatRequest = { model: body.model, messages: body.messages, stream, body };
    chatRequests.push(request);
    const fault = hit('chat');
    if (fault === 'http_500' || (!stream && fault))
      return sendError(res, 500, 'server_error', 'The server had an error.');
    const messages = body.messages.map((m: any): FakeChatMessage => ({
      role: String(m.role),
      content: flatten(m.content),
    }));
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);

    if (!stream) {
      const lastUser = [...messages].reverse().find((m: FakeChatMessage) => m.role === 'user')?.content ?? '';
      const content = opts.titles
        ? opts.titles(lastUser)
        : opts.reply
          ? opts.reply({ messages, model: body.model })
          : defaultTitle(lastUser);
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
        ],
        usage: usage(messages, content),
        system_fingerprint: 'fp_parley_fake',
      });
    }

    const offered: string[] = Array.isArray(body.tools)
      ? body.tools.map((t: any) => String(t?.function?.name ?? '')).filter(Boolean)
      : [];
    const calls = offered.length ? (opts.toolCalls?.({ messages, tools: offered }) ?? []) : [];
    if (calls.length) return streamToolCalls(res, body, id, created, calls);
    const reply = (opts.reply ?? ((r) => defaultReply(r.messages)))({ messages, model: body.model });
    const includeUsage = body.stream_options?.include_usage === true;
    let aborted = false;
    res.on('close', () => {
      aborted = !res.writableFinished;
    });
    // A stalled stream: the request accepted, the connection open, not one byte of a response.
    if (fault === 'stall') return void stalled.add(res);
    res.writeHead(200, SSE_HEADERS);
    const chunk = chunkWriter(id, created, body.model, includeUsage);
    const tokens = reply.match(/\s*\S+/g) ?? [];
    if (holding) {
      heldReplies++;
      await new Promise<void>((open) => held.add({ reply, open }));
      heldReplies--;
    }
    await sleep(opts.ttftMs ?? 0);
    for (let i = 0; i < tokens.length && !aborted; i++) {
      if (i > 0) await sleep(opts.tokenDelayMs ?? 5);
      if (aborted) break;
      const delta = i === 0 ? { role: 'assistant', content: tokens[i], refusal: null } : { content: tokens[i] };
      res.write(chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]));
      if (fault === 'drop') return void res.destroy();
    }
    if (aborted) return;
    res.write(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]));
    if (includeUsage) {
      const u = usage(messages, reply);
      res.write(chunk([], { usage: u }));
      streamedUsage.push({ promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens });
    }
    res.end('data: [DONE]\n\n');
    request.reply = reply;
    repliesStreamed.push(reply);
  };

  const streamToolCalls = (
    res: ServerResponse,
    body: any,
    id: string,
    created: number,
    calls: Array<{ name: string; arguments: Record<string, unknown> }>,
  ) => {
    res.writeHead(200, SSE_HEADERS);
    const write = chunkWriter(id, created, body.model, false);
    const chunk = (delta: object, finish: string | null = null) =>
      write([{ index: 0, delta, logprobs: null, finish_reason: finish }]);
    res.write(chunk({ role: 'assistant', content: null, refusal: null }));
    calls.forEach((call, index) => {
      const callId = `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      const args = JSON.stringify(call.arguments);
      toolCallsSent.push({ id: callId, name: call.name, arguments: args });
      res.write(
        chunk({ tool_calls: [{ index, id: callId, type: 'function', function: { name: call.name, arguments: '' } }] }),
      );
      // Arguments arrive in pieces, as OpenAI streams them.
      for (const part of args.match(/.{1,8}/gs) ?? [])
        res.write(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
    });
    res.write(chunk({}, 'tool_calls'));
    res.end('data: [DONE]\n\n');
  };

  const speech = async (res: ServerResponse, body: any) => {
    if (typeof body?.input !== 'string' || typeof body?.model !== 'string') {
      return sendError(res, 400, 'invalid_request', "Missing required parameter: 'input' or 'model'.");
    }
    speechRequests.push(body);
    const fault = hit('speech');
    if (fault === 'http_500') return sendError(res, 500, 'server_error', 'The server had an error.');
    if (fault === 'drop') return void res.destroy();
    if (fault === 'stall') return void stalled.add(res);
    if (body.response_format !== undefined && body.response_format !== 'pcm') {
      return sendError(res, 400, 'unsupported_format', 'The fake serves response_format "pcm" only.');
    }
    await sleep(opts.speechDelayMs ?? 0);
    const text = body.input.trim();
    const pcm = voiceSignal({
      sampleRate: 24000,
      durationMs: text.length * (opts.msPerChar ?? 55),
      words: text.split(/\s+/).filter(Boolean).length,
    });
    const bytes = pcm16Bytes(pcm);
    res.writeHead(200, { 'content-type': 'audio/pcm', 'content-length': bytes.byteLength });
    res.end(bytes);
  };

  const transcribe = async (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    let form: FormData;
    try {
      form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: raw,
      }).formData();
    } catch {
      return sendError(res, 400, 'invalid_request', 'Expected a multipart/form-data body.');
    }
    const file = form.get('file');
    const model = form.get('model');
    if (!(file instanceof Blob) || typeof model !== 'string') {
      return sendError(res, 400, 'invalid_request', "Missing required parameter: 'file' or 'model'.");
    }
    const language = form.get('language');
    transcriptions.push({ model, language: typeof language === 'string' ? language : undefined, fileBytes: file.size });
    const fault = hit('transcriptions');
    if (fault === 'http_500') return sendError(res, 500, 'server_error', 'The server had an error.');
    if (fault === 'drop') return void res.destroy();
    if (fault === 'stall') return void stalled.add(res);
    sendJson(res, 200, { text: nextTranscript() });
  };

  const http = await listenLocal((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendError(res, 500, 'server_error', 'fake failed');
      else res.destroy();
    });
  });

  const realtimeSessions = attachRealtimeTranscription(http.server, {
    nextTranscript,
    finalDelayMs: opts.realtimeFinalDelayMs,
    refuse: () => (faults.realtime === 'http_500' || faults.realtime === 'drop') && hit('realtime') !== null,
    dropped: () => faults.realtime === 'drop' && hit('realtime') !== null,
    stalled: () => faults.realtime === 'stall' && hit('realtime') !== null,
  });

  return {
    baseURL: `http://127.0.0.1:${http.port}/v1`,
    realtimeSessions,
    transcriptsSent,
    faults,
    faultsInjected,
    chatRequests,
    speechRequests,
    get transcriptionRequests() {
      return transcriptions.length;
    },
    transcriptions,
    get modelListRequests() {
      return modelListRequests;
    },
    repliesStreamed,
    streamedUsage,
    toolCallsSent,
    holdReplies() {
      holding = true;
    },
    releaseReplies(which) {
      if (!which) holding = false;
      release(which);
    },
    get heldReplies() {
      return heldReplies;
    },
    close: () => {
      holding = false;
      release();
      for (const res of stalled) res.destroy();
      return http.close();
    },
  };
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

/** One `chat.completion.chunk` server-sent event of a streamed answer (text or function calls). */
function chunkWriter(id: string, created: number, model: string, includeUsage: boolean) {
  return (choices: unknown[], extra: object = {}) =>
    `data: ${JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: 'fp_parley_fake',
      choices,
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    })}\n\n`;
}

function flatten(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        part && typeof part === 'object' && 'text' in part ? String((part as { text: unknown }).text) : '',
      )
      .join('');
  }
  return '';
}

function usage(messages: FakeChatMessage[], reply: string) {
  const count = (s: string) => s.split(/\s+/).filter(Boolean).length;
  const prompt = messages.reduce((n, m) => n + count(m.content) + 4, 0);
  const completion = count(reply);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param: null, code } });
}

/**
 * Streamed replies the agent threw away: a reply whose request was followed by one holding more of
 * the caller's words (the same turn, extended) without that reply in its history. agents answers a
 * final transcript at once (preemptive generation) and drops the answer when the caller goes on, so
 * "streamed in full" is not "given to the caller". Finals are unique in the tests that use this.
 */
export function supersededReplies(requests: FakeChatRequest[]): string[] {
  const said = (r: FakeChatRequest, role: string) =>
    r.messages.filter((m) => m?.role === role).map((m) => flatten(m.content));
  return requests.flatMap((r, i) => {
    if (r.reply === undefined) return [];
    const words = said(r, 'user');
    if (!words.length) return [];
    const later = requests.slice(i + 1).filter((n) => {
      const nw = said(n, 'user').join(' ');
      return words.every((w) => nw.includes(w)) && nw.length > words.join(' ').length;
    });
    const kept = later.some((n) => said(n, 'assistant').some((a) => a && r.reply!.startsWith(a)));
    return later.length && !kept ? [r.reply] : [];
  });
}
