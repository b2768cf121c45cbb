import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { api, IngestEvent, pathOf } from '@parley/protocol';
import { isAlive } from '@parley/tools';
import { GatewayHttpError, postSigned } from './gateway-client';

/**
 * Local spool of durable events (utterances, call start/end) not yet acknowledged by the gateway.
 * One JSONL file per conversation and owning process: `<conversationId>.<pid>.jsonl`. The file
 * always holds exactly the undelivered durable events, in order; it is rewritten atomically
 * (write + rename) on every change and removed when empty. A job that is SIGKILLed leaves its
 * file behind; the worker process (`recoverSpool`) re-sends it. Seqs make re-sending idempotent.
 * A job that ends in a process that goes on (a job host, several calls per process) hands its
 * file to the worker (`handOver`): `<conversationId>.<workerPid>.<tag>.jsonl`, the tag keeping it
 * apart from any other file of the same conversation.
 */

export function defaultSpoolDir(): string {
  return path.join(os.tmpdir(), 'parley-spool');
}

const NAME = /^([0-9a-f-]{36})\.(\d+)(?:\.([0-9a-z]+))?\.jsonl$/;

export class Spool {
  readonly file: string;
  #disabled = false;

  constructor(
    readonly dir: string,
    readonly conversationId: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.file = path.join(dir, `${conversationId}.${process.pid}.jsonl`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Replaces the file's content with these (undelivered durable) events. Synchronous: survives a SIGKILL right after. */
  write(events: IngestEvent[]): void {
    if (this.#disabled) return;
    try {
      if (events.length === 0) {
        rmSync(this.file, { force: true });
        return;
      }
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, events.map((e) => JSON.stringify(e)).join('\n') + '\n', { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch (err) {
      this.#fail(err);
    }
  }

  /**
   * Gives what is left in the file to the process that re-sends spools (the worker, `owner`), for a
   * job that ends in a process that lives on: a file named after a live job host would wait for
   * that host's exit. Call once delivery has stopped writing it. Returns the new name, if any.
   */
  handOver(owner: number = process.ppid): string | null {
    const to = path.join(
      this.dir,
      `${this.conversationId}.${owner}.${process.pid}x${randomBytes(4).toString('hex')}.jsonl`,
    );
    try {
      renameSync(this.file, to);
      this.#disabled = true;
      return to;
    } catch {
      return null; // nothing left (no file) or nowhere to move it: it stays for the host's exit
    }
  }

  #fail(err: unknown) {
    // A read-only or full disk must not break the call: delivery goes on without the spool.
    this.#disabled = true;
    this.onError(err);
  }
}

export function readSpoolFile(file: string): IngestEvent[] {
  const events: IngestEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = IngestEvent.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      /* a torn line cannot happen with rename, but never let one block the rest */
    }
  }
  return events;
}

export interface RecoveryResult {
  delivered: number;
  dropped: number;
  kept: number;
}

/**
 * Re-sends spool files left by processes that are gone (SIGKILLed or crashed jobs) and those
 * handed to this process (jobs that ended in a job host that lives on, `Spool.handOver`). A file is
 * claimed by renaming it to this process's pid first, so two workers sharing the folder never
 * both send it. Delivered or permanently refused (400/404) files are removed; files that hit a
 * retryable error are kept for the next pass.
 */
export async function recoverSpool(
  dir: string,
  gateway: { url: string; secret: string },
  log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void } = { warn() {}, info() {} },
): Promise<RecoveryResult> {
  const result: RecoveryResult = { delivered: 0, dropped: 0, kept: 0 };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return result;
  }
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const [, conversationId, pidText, tag] = m;
    const pid = Number(pidText);
    if (pid !== process.pid && isAlive(pid)) continue;
    // Claimed under a name of its own (the tag, or the dead owner's pid): never over another file.
    const claimed =
      pid === process.pid
        ? path.join(dir, name)
        : path.join(dir, `${conversationId}.${process.pid}.${tag ?? pidText}.jsonl`);
    try {
      if (pid !== process.pid) renameSync(path.join(dir, name), claimed);
    } catch {
      continue; // another worker claimed it first
    }
    const events = readSpoolFile(claimed);
    try {
      for (let i = 0; i < events.length; i += 200)
        await postSigned(
          gateway,
          pathOf(api.internal.ingest.path, { id: conversationId! }),
          { events: events.slice(i, i + 200) },
          5000,
        );
      rmSync(claimed, { force: true });
      result.delivered += events.length;
      log.info({ conversationId, events: events.length }, 're-sent spooled transcript events');
    } catch (err) {
      if (err instanceof GatewayHttpError && !err.retryable && err.status !== 401 && err.status !== 403) {
        rmSync(claimed, { force: true });
        result.dropped += events.length;
        log.warn(
          { conversationId, status: err.status, events: events.length },
          'gateway refused spooled events; dropped',
        );
      } else {
        result.kept += events.length;
      }
    }
  }
  return result;
}
