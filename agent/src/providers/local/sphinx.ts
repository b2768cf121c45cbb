import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { pocketSphinxBinary, pocketSphinxModel } from './engines.js';

/** One recognised word with its time span (seconds) and PocketSphinx's posterior (0–1). */
export interface SphinxWord {
  word: string;
  start: number;
  end: number;
  confidence: number;
}

export interface SphinxResult {
  text: string;
  words: SphinxWord[];
}

const WORD_LINE = /^(\S+) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)$/;

/**
 * Parses `pocketsphinx_continuous -time yes` output: per utterance a hypothesis line, then one line
 * per token `word start end posterior`. Fillers (`<s>`, `<sil>`, `[NOISE]`) are dropped and
 * alternate pronunciations (`the(2)`) lose their suffix.
 */
export function parseSphinxOutput(stdout: string): SphinxResult {
  const hypotheses: string[] = [];
  const words: SphinxWord[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = WORD_LINE.exec(line);
    if (!m) {
      hypotheses.push(line);
      continue;
    }
    const token = m[1]!;
    if (token.startsWith('<') || token.startsWith('[')) continue;
    words.push({
      word: token.replace(/\(\d+\)$/, ''),
      start: Number(m[2]),
      end: Number(m[3]),
      confidence: Math.max(0, Math.min(1, Number(m[4]))),
    });
  }
  const text = words.length ? words.map((w) => w.word).join(' ') : hypotheses.join(' ');
  return { text: text.replace(/\s+/g, ' ').trim(), words };
}

/**
 * One `pocketsphinx_continuous` process reading raw 16 kHz mono s16le from stdin (through `cat`). The CLI loads its
 * model (~0.4 s here) before it reads any input, so a process spawned ahead of time sits ready;
 * `decode` writes one utterance, closes stdin and reads the transcript when the process exits.
 */
export class SphinxProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    error?: Error;
  }>;
  #stdout = '';
  #stderr = '';
  #used = false;

  constructor() {
    const model = pocketSphinxModel();
    const args = ['-infile', '/dev/stdin', '-logfn', '/dev/null', '-time', 'yes'];
    args.push('-hmm', model.hmm, '-lm', model.lm, '-dict', model.dict);
    // Node's stdio pipes are socketpairs, which open("/dev/stdin") refuses (ENXIO); `cat` turns
    // the socket into a real pipe. Own process group, so kill() ends cat and the recogniser.
    this.#child = spawn('sh', ['-c', 'cat | "$0" "$@"', pocketSphinxBinary(), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.#child.stdout.setEncoding('utf8').on('data', (d: string) => (this.#stdout += d));
    this.#child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (this.#stderr.length < 4_000) this.#stderr += d;
    });
    // A write after the child died must not become an unhandled 'error' event.
    this.#child.stdin.on('error', () => undefined);
    this.#exited = new Promise((resolve) => {
      this.#child.once('error', (error) => resolve({ code: null, signal: null, error }));
      this.#child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.#setRef(false);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null && this.#child.pid !== undefined;
  }

  /** A waiting process must not keep the event loop (or a test runner) alive on its own. */
  #setRef(ref: boolean): void {
    const handles = [this.#child, this.#child.stdin, this.#child.stdout, this.#child.stderr] as unknown as {
      ref?: () => void;
      unref?: () => void;
    }[];
    for (const h of handles) (ref ? h.ref : h.unref)?.call(h);
  }

  async decode(pcm16k: Int16Array, signal?: AbortSignal): Promise<SphinxResult> {
    if (this.#used) throw new Error('SphinxProcess decodes one utterance only');
    this.#used = true;
    this.#setRef(true);
    const onAbort = () => this.kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw abortError();
      this.#child.stdin.end(Buffer.from(pcm16k.buffer, pcm16k.byteOffset, pcm16k.byteLength));
      const exit = await this.#exited;
      if (signal?.aborted) throw abortError();
      if (exit.error) throw exit.error;
      if (exit.code !== 0) {
        throw new Error(`pocketsphinx exited with ${exit.code ?? exit.signal}: ${this.#stderr.trim().slice(0, 300)}`);
      }
      return parseSphinxOutput(this.#stdout);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  kill(): void {
    const pid = this.#child.pid;
    if (!this.alive || pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.#child.kill('SIGKILL');
    }
  }

  /** Resolves once the process has exited (after `kill` or a decode). */
  async exited(): Promise<void> {
    await this.#exited;
  }
}

function abortError(): Error {
  const err = new Error('recognition aborted');
  err.name = 'AbortError';
  return err;
}
