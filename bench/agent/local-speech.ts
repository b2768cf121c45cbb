/**
 * Word error rate and real-time factor of the local speech providers on this machine.
 *
 *   node --import tsx bench/agent/local-speech.ts [--json]
 *
 * Ten sentences are spoken by flite (voice slt) and by espeak-ng (en-us, and its klatt variant),
 * delivered to the local STT as 48 kHz 10 ms frames (what LiveKit hands the agent), and scored
 * against the text. Real-time factors are wall-clock (what a caller waits, inflated when the
 * machine is busy) and, for STT, CPU seconds per audio second (stable under load). TTS is
 * measured on the same sentences. Prints markdown.
 */
import { performance } from 'node:perf_hooks';
import { initializeLogger } from '@livekit/agents';
import { pocketSphinxBinary, pocketSphinxModel } from '@parley/agent/local-engines';
import { LocalSTT, LocalTTS } from '@parley/agent/local-speech';
import { synthesizeSpeechWav, toFrames, wordErrors, type SpeechWavOptions } from '@parley/testkit/speech';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Please call me back tomorrow morning.',
  'What time does the train leave for the city?',
  'I would like to book a table for two people.',
  'The weather is nice and sunny today.',
  'Can you tell me a story about the ocean?',
  'My favorite color is green.',
  'Turn off the lights in the kitchen.',
  'How many days are there in a week?',
  'Thank you very much for your help.',
];

interface Voice {
  name: string;
  speech: SpeechWavOptions;
}

const VOICES: Voice[] = [
  { name: 'flite slt', speech: { voice: 'flite' } },
  { name: 'espeak-ng en-us', speech: { voice: 'espeak', lang: 'en-us' } },
  { name: 'espeak-ng en-us+klatt', speech: { voice: 'espeak', lang: 'en-us+klatt' } },
];

/** 48 kHz, what LiveKit hands the agent; resampled without dither, so runs are repeatable. */
const speak48k = (voice: Voice, text: string) => synthesizeSpeechWav(text, { ...voice.speech, sampleRate: 48000 });

/** CPU seconds (user + sys) the recogniser CLI spends on one 16 kHz WAV, via the shell's `times`. */
async function sphinxCpuSeconds(wav: string): Promise<number> {
  const m = pocketSphinxModel();
  const cmd = `"$0" -infile "$1" -logfn /dev/null -hmm "$2" -lm "$3" -dict "$4" >/dev/null; times`;
  const { stdout } = await run('sh', ['-c', cmd, pocketSphinxBinary(), wav, m.hmm, m.lm, m.dict]);
  // `times` prints the shell's own times, then its children's: "0m0.710000s 0m0.060000s".
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, x) => sum + Number(x[1]) * 60 + Number(x[2]), 0);
}

interface Row {
  voice: string;
  sentence: string;
  heard: string;
  errors: number;
  words: number;
  audioS: number;
  sttS: number;
}

async function main(): Promise<void> {
  initializeLogger({ pretty: false, level: 'warn' });
  const json = process.argv.includes('--json');
  const dir = await mkdtemp(join(tmpdir(), 'parley-measure-'));
  const stt = new LocalSTT({ language: 'en' });
  const rows: Row[] = [];
  try {
    // Let the first recogniser finish loading, as it would between calls.
    await new Promise((r) => setTimeout(r, 1_000));
    for (const voice of VOICES) {
      for (const sentence of SENTENCES) {
        const { pcm, sampleRate } = await speak48k(voice, sentence);
        const frames = toFrames(pcm, sampleRate);
        const t0 = performance.now();
        const ev = await stt.recognize(frames);
        const sttS = (performance.now() - t0) / 1000;
        const heard = ev.alternatives?.[0].text ?? '';
        rows.push({
          voice: voice.name,
          sentence,
          heard,
          ...wordErrors(sentence, heard),
          audioS: pcm.length / sampleRate,
          sttS,
        });
        // The next warm recogniser loads in the background between turns in a call; let it.
        await new Promise((r) => setTimeout(r, 600));
      }
    }

    // CPU cost of decoding alone: each flite sentence minus the model load (0.1 s of silence).
    await run('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', join(dir, 'silence.wav'), 'trim', '0', '0.1']);
    const loadCpu = await sphinxCpuSeconds(join(dir, 'silence.wav'));
    let decodeCpu = 0;
    let decodeAudio = 0;
    for (const sentence of SENTENCES) {
      const wav16 = await synthesizeSpeechWav(sentence, { ...VOICES[0]!.speech, sampleRate: 16000 });
      decodeCpu += (await sphinxCpuSeconds(wav16.path)) - loadCpu;
      decodeAudio += wav16.pcm.length / wav16.sampleRate;
    }

    // Cold start: a fresh LocalSTT whose recogniser has not finished loading.
    const cold = new LocalSTT({ language: 'en' });
    const sample = await speak48k(VOICES[0]!, SENTENCES[0]!);
    const c0 = performance.now();
    await cold.recognize(toFrames(sample.pcm, sample.sampleRate));
    const coldS = (performance.now() - c0) / 1000;
    await cold.close();

    const tts = new LocalTTS({ voice: null, language: 'en' });
    let ttsAudio = 0;
    let ttsTime = 0;
    const firstFrame: number[] = [];
    for (const sentence of SENTENCES) {
      const t0 = performance.now();
      let first = -1;
      let samples = 0;
      for await (const ev of tts.synthesize(sentence)) {
        if (first < 0) first = performance.now() - t0;
        samples += ev.frame.samplesPerChannel;
      }
      ttsTime += (performance.now() - t0) / 1000;
      ttsAudio += samples / tts.sampleRate;
      firstFrame.push(first);
    }

    const byVoice = VOICES.map((v) => {
      const rs = rows.filter((r) => r.voice === v.name);
      const errors = rs.reduce((n, r) => n + r.errors, 0);
      const words = rs.reduce((n, r) => n + r.words, 0);
      const audio = rs.reduce((n, r) => n + r.audioS, 0);
      const time = rs.reduce((n, r) => n + r.sttS, 0);
      return { voice: v.name, wer: errors / words, errors, words, rtf: time / audio, meanLatencyS: time / rs.length };
    });
    const summary = {
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`.trim(),
      stt: byVoice,
      loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
      sttCpuRtf: decodeCpu / decodeAudio,
      sttModelLoadCpuS: loadCpu,
      sttColdStartS: coldS,
      tts: {
        rtf: ttsTime / ttsAudio,
        audioS: ttsAudio,
        firstFrameMsMedian: firstFrame.sort((a, b) => a - b)[Math.floor(firstFrame.length / 2)],
      },
      rows,
    };
    if (json) {
      console.log(JSON.stringify(summary, null, 2));
      return;
    }
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    console.log(`Machine: ${summary.machine}; load average at the end ${summary.loadAverage.join(' / ')}\n`);
    console.log('| voice | sentence | heard | errors / words |');
    console.log('| --- | --- | --- | --- |');
    for (const r of rows) console.log(`| ${r.voice} | ${r.sentence} | ${r.heard} | ${r.errors} / ${r.words} |`);
    console.log('\n| speaker | WER | STT real-time factor | mean STT time per sentence |');
    console.log('| --- | --- | --- | --- |');
    for (const v of byVoice)
      console.log(
        `| ${v.voice} | ${pct(v.wer)} (${v.errors}/${v.words}) | ${v.rtf.toFixed(2)} | ${v.meanLatencyS.toFixed(2)} s |`,
      );
    console.log(
      `\nSTT CPU cost: ${summary.sttCpuRtf.toFixed(2)} CPU-s per audio second decoding (flite set), plus ${loadCpu.toFixed(2)} CPU-s model load per recogniser process`,
    );
    console.log(
      `STT cold start (recogniser still loading): ${coldS.toFixed(2)} s for ${sample.pcm.length / sample.sampleRate} s of audio`,
    );
    console.log(
      `TTS (espeak-ng en-us): real-time factor ${summary.tts.rtf.toFixed(4)} over ${ttsAudio.toFixed(1)} s of audio; first frame after ${summary.tts.firstFrameMsMedian?.toFixed(0)} ms (median)`,
    );
  } finally {
    await stt.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
// LiveKit's native resampler (FFI) keeps the event loop alive; this is a one-shot script.
process.exit(0);
