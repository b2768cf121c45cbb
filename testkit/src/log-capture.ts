import { Writable } from 'node:stream';

/** A pino destination that keeps every log line, so tests can assert what was (not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(line);
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}
