import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { llm } from '@livekit/agents';
import { VideoBufferType, VideoFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';

/** patches/@livekit+agents+1.8.1.patch (applied by `npm ci`'s postinstall): sharp loaded on first use. */
describe('@livekit/agents as patched', () => {
  it('does not load sharp (libvips) when a process imports agents', () => {
    const mapped = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "await import('@livekit/agents'); const m = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8'); console.log(JSON.stringify({ vips: m.includes('libvips'), rtc: m.includes('rtc-node') }));",
      ],
      { cwd: path.resolve(import.meta.dirname, '..'), encoding: 'utf8' },
    );
    // rtc-node's native library is mapped (so /proc/self/maps shows native modules); libvips is not.
    expect(JSON.parse(mapped)).toEqual({ vips: false, rtc: true });
  });

  it('still encodes a video frame to PNG for a model (sharp loaded then)', async () => {
    const frame = new VideoFrame(new Uint8Array(2 * 2 * 4).fill(200), 2, 2, VideoBufferType.RGBA);
    const out = await llm.serializeImage(llm.createImageContent({ image: frame }));
    expect(out.mimeType).toBe('image/png');
    expect(Buffer.from(out.base64Data!, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });
});
