import { AudioFrame } from '@livekit/rtc-node';
import { voice } from '@livekit/agents';

/**
 * Fast barge-in: the agent's audio pauses the moment the VAD hears the caller start speaking
 * (Silero's start of speech, one 32 ms window of voice with Parley's settings), instead of after
 * `interruption.minDuration` of speech as agents 1.8.1 does. Whether it is a real interruption
 * is still the framework's decision (minimum speech duration, then the transcript): when it takes
 * over, its own paused state owns the output (it interrupts the reply, or resumes it after a
 * false interruption). When the caller stops before that (a cough, a click, a short "mm"), the
 * reply resumes here.
 *
 * Pausing goes through the session's audio output chain, so the transcript synchroniser pauses
 * with the audio and an interrupted reply is still stored with only the words played.
 */
export interface BargeIn {
  /**
   * Whether a transcript of the caller's current utterance should be dropped: it began while the
   * agent was speaking and holds nothing but a backchannel ("mm hmm", "yeah", "okay") or nothing
   * at all. Dropping a final one also resumes, at once, a reply the framework paused for it.
   */
  dropTranscript(text: string, final: boolean): boolean;
}

export function pauseOnSpeechStart(session: voice.AgentSession): BargeIn {
  /** We paused the output and have not resumed it since (the framework may have, harmlessly). */
  let paused = false;
  /** The caller's current (or last) utterance began while the agent was speaking. */
  let overAgent = false;
  /** Its final transcript was a backchannel: resume again at the VAD's end of speech. */
  let backchannel = false;
  const resume = () => {
    if (!paused) return;
    paused = false;
    session.output.audio?.resume();
  };
  session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => {
    const audio = session.output.audio;
    if (ev.newState === 'speaking') {
      overAgent = session.agentState === 'speaking';
      backchannel = false;
      if (audio && overAgent) {
        paused = true;
        audio.pause();
      }
    } else if (audio && backchannel) {
      // Until its end of speech the VAD keeps re-pausing a reply the framework paused (each
      // inference past minDuration); the framework's own resume would come 2 s later.
      backchannel = false;
      paused = false;
      audio.resume();
    } else if (audio && session.agentState === 'speaking') {
      // The caller stopped before the framework saw an interruption (it would have left
      // "speaking"): not one. Carry on.
      resume();
    }
  });
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
    // Once the framework leaves "speaking" it owns the pause (it interrupts the reply or resumes
    // it after a false interruption). A reply it interrupted without pausing would leave our
    // pause on the output: the next reply ("thinking") never starts behind it.
    if (ev.newState === 'thinking') {
      overAgent = false;
      resume();
    }
  });
  return {
    dropTranscript(text, final) {
      if (!overAgent || !isBackchannel(text)) return false;
      // An interim "mm" may still become "mm, wait": drop it, but only a final one resumes.
      if (!final) return true;
      // The framework paused the reply (the sound lasted minDuration) and would resume it only
      // 2 s after the caller's end of speech: the transcript says it was no interruption, resume
      // now (and again at the end of speech). Its timer restores the "speaking" state later.
      backchannel = true;
      paused = false;
      session.output.audio?.resume();
      return true;
    },
  };
}

/** Words that acknowledge without taking the turn, as STTs write them (English). */
const BACKCHANNEL = new Set([
  'mm',
  'mmm',
  'hmm',
  'hm',
  'mhm',
  'mm-hmm',
  'mm-hm',
  'uh-huh',
  'uh',
  'huh',
  'um',
  'ah',
  'aha',
  'oh',
  'yeah',
  'yep',
  'yup',
  'okay',
  'ok',
  'right',
  'sure',
  'cool',
  'wow',
]);
const BACKCHANNEL_PAIRS = new Set(['mm hmm', 'mm hm', 'uh huh', 'i see', 'got it']);

/** True when the text holds no words, or only backchannel words ("Mm-hmm.", "uh huh", "Yeah, okay."). */
export function isBackchannel(text: string): boolean {
  const words = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s-]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    if (i + 1 < words.length && BACKCHANNEL_PAIRS.has(`${words[i]} ${words[i + 1]}`)) {
      i++;
      continue;
    }
    if (!BACKCHANNEL.has(words[i]!)) return false;
  }
  return true;
}

/**
 * Splits the TTS's frames (Cartesia: 100 ms) into frames of at most `ms`. The room output checks
 * its pause gate once per frame, after the previous frame is in the audio source's queue: with
 * 100 ms frames a pause waits up to 100 ms (while that audio plays) before the queue is cleared.
 * The first piece keeps the frame's userdata (TTS start time, timed transcript).
 */
export function splitFrames(ms: number): TransformStream<AudioFrame, AudioFrame> {
  return new TransformStream<AudioFrame, AudioFrame>({
    transform(frame, controller) {
      const per = Math.max(1, Math.floor((frame.sampleRate * ms) / 1000));
      if (ms <= 0 || frame.samplesPerChannel <= per) return controller.enqueue(frame);
      const ch = frame.channels;
      for (let start = 0; start < frame.samplesPerChannel; start += per) {
        const n = Math.min(per, frame.samplesPerChannel - start);
        const data = frame.data.slice(start * ch, (start + n) * ch);
        controller.enqueue(new AudioFrame(data, frame.sampleRate, ch, n, start === 0 ? frame.userdata : {}));
      }
    },
  });
}
