import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm, shortuuid } from '@livekit/agents';

interface Phrases {
  /** Prefix of the echo reply; the caller's words follow. */
  echo: string;
  /** Reply when there is nothing to repeat (session greeting, empty transcript). */
  idle: string;
}

/** Replies per Parley language; anything else falls back to English. */
export const OFFLINE_PHRASES: Readonly<Record<string, Phrases>> = {
  en: {
    echo: 'No language model is configured, so I can only repeat what I heard:',
    idle: 'Hello! No language model is configured, so I can only repeat what I hear. Say something.',
  },
  es: {
    echo: 'No hay ningún modelo de lenguaje configurado, así que solo puedo repetir lo que he oído:',
    idle: '¡Hola! No hay ningún modelo de lenguaje configurado, así que solo puedo repetir lo que oigo. Di algo.',
  },
  fr: {
    echo: "Aucun modèle de langage n'est configuré, je ne peux donc que répéter ce que j'ai entendu :",
    idle: "Bonjour ! Aucun modèle de langage n'est configuré, je ne peux donc que répéter ce que j'entends. Dites quelque chose.",
  },
  de: {
    echo: 'Es ist kein Sprachmodell eingerichtet, daher kann ich nur wiederholen, was ich gehört habe:',
    idle: 'Hallo! Es ist kein Sprachmodell eingerichtet, daher kann ich nur wiederholen, was ich höre. Sag etwas.',
  },
  it: {
    echo: 'Nessun modello linguistico è configurato, quindi posso solo ripetere ciò che ho sentito:',
    idle: 'Ciao! Nessun modello linguistico è configurato, quindi posso solo ripetere ciò che sento. Di qualcosa.',
  },
  pt: {
    echo: 'Nenhum modelo de linguagem está configurado, por isso só posso repetir o que ouvi:',
    idle: 'Olá! Nenhum modelo de linguagem está configurado, por isso só posso repetir o que ouço. Diga alguma coisa.',
  },
  nl: {
    echo: 'Er is geen taalmodel ingesteld, dus ik kan alleen herhalen wat ik hoorde:',
    idle: 'Hallo! Er is geen taalmodel ingesteld, dus ik kan alleen herhalen wat ik hoor. Zeg iets.',
  },
  ja: {
    echo: '言語モデルが設定されていないため、聞こえたことを繰り返すことしかできません：',
    idle: 'こんにちは。言語モデルが設定されていないため、聞こえたことを繰り返すことしかできません。何か話してください。',
  },
  hi: {
    echo: 'कोई भाषा मॉडल सेट नहीं है, इसलिए मैं केवल वही दोहरा सकता हूँ जो मैंने सुना:',
    idle: 'नमस्ते! कोई भाषा मॉडल सेट नहीं है, इसलिए मैं केवल वही दोहरा सकता हूँ जो मैं सुनता हूँ। कुछ बोलिए।',
  },
};

function phrasesFor(language: string | undefined): Phrases {
  const base = (language ?? 'en').toLowerCase().split(/[-_]/)[0] ?? 'en';
  return OFFLINE_PHRASES[base] ?? OFFLINE_PHRASES.en!;
}

/** The reply the offline responder gives to a conversation whose last user turn is `heard`. */
export function offlineReply(heard: string | undefined, language?: string): string {
  const phrases = phrasesFor(language);
  const words = heard?.replace(/\s+/g, ' ').trim();
  if (!words) return phrases.idle;
  const ending = /[.!?。！？।]$/.test(words) ? '' : '.';
  return `${phrases.echo} ${words}${ending}`;
}

/** Rough token count for usage figures (no tokenizer offline): one per ~4 characters. */
function approxTokens(text: string): number {
  return text ? Math.max(1, Math.ceil(text.length / 4)) : 0;
}

/**
 * The LLM used when none is configured: no network, no model. It says plainly that no language
 * model is configured and repeats the caller's last words, streamed word by word like a real
 * model so the voice pipeline (sentence splitting, TTS, interruption) behaves as it would.
 */
export class OfflineLLM extends llm.LLM {
  readonly #language: string;

  constructor(opts: { language?: string } = {}) {
    super();
    this.#language = opts.language ?? 'en';
  }

  label(): string {
    return 'local.OfflineLLM';
  }

  override get model(): string {
    return 'parley-echo';
  }

  override get provider(): string {
    return 'local';
  }

  get language(): string {
    return this.#language;
  }

  chat({
    chatCtx,
    toolCtx,
    connOptions = DEFAULT_API_CONNECT_OPTIONS,
  }: {
    chatCtx: llm.ChatContext;
    toolCtx?: llm.ToolContextLike;
    connOptions?: APIConnectOptions;
    parallelToolCalls?: boolean;
    toolChoice?: llm.ToolChoice;
    extraKwargs?: Record<string, unknown>;
  }): llm.LLMStream {
    return new OfflineLLMStream(this, { chatCtx, toolCtx, connOptions });
  }
}

class OfflineLLMStream extends llm.LLMStream {
  readonly #language: string;

  constructor(
    owner: OfflineLLM,
    params: {
      chatCtx: llm.ChatContext;
      toolCtx?: llm.ToolContextLike;
      connOptions: APIConnectOptions;
    },
  ) {
    super(owner, params);
    this.#language = owner.language;
  }

  protected async run(): Promise<void> {
    const id = shortuuid('offline_');
    const items = this.chatCtx.items;
    const lastUser = [...items].reverse().find((i) => i.type === 'message' && i.role === 'user');
    const heard = lastUser?.type === 'message' ? lastUser.textContent : undefined;
    const reply = offlineReply(heard, this.#language);

    const prompt = items.map((i) => (i.type === 'message' ? (i.textContent ?? '') : '')).join('\n');
    // Word-sized deltas, each keeping its leading space, so joined they are the reply exactly.
    for (const piece of reply.match(/\s*\S+/g) ?? []) {
      if (this.abortController.signal.aborted || this.queue.closed) return;
      this.queue.put({ id, delta: { role: 'assistant', content: piece } });
    }
    if (this.abortController.signal.aborted || this.queue.closed) return;
    const promptTokens = approxTokens(prompt);
    const completionTokens = approxTokens(reply);
    this.queue.put({
      id,
      usage: {
        promptTokens,
        completionTokens,
        promptCachedTokens: 0,
        totalTokens: promptTokens + completionTokens,
      },
    });
  }
}
