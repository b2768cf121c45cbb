import { voice } from '@livekit/agents';

/**
 * Fast barge-in: the agent's audio pauses the moment the VAD hears the caller start speaking
 * (Silero's start of speech, ~50 ms of voice), instead of after `interruption.minDuration` of
 * speech as agents 1.8.1 does. Whether it is a real interruption is still the framework's
 * decision (minimum speech duration, then the transcript): when it takes over, its own paused
 * state owns the output (it interrupts the reply, or resumes it after a false interruption).
 * When the caller stops before that (a cough, a click, a short "mm"), the reply resumes here.
 *
 * Pausing goes through the session's audio output chain, so the transcript synchroniser pauses
 * with the audio and an interrupted reply is still stored with only the words played.
 */
export function pauseOnSpeechStart(session: voice.AgentSession): void {
  /** We paused the output and have not resumed it since (the framework may have, harmlessly). */
  let paused = false;
  const resume = () => {
    if (!paused) return;
    paused = false;
    session.output.audio?.resume();
  };
  session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => {
    const audio = session.output.audio;
    if (!audio) return;
    if (ev.newState === 'speaking') {
      if (session.agentState === 'speaking') {
        paused = true;
        audio.pause();
      }
    } else if (session.agentState === 'speaking') {
      // The caller stopped before the framework saw an interruption (it would have left
      // "speaking"): not one. Carry on.
      resume();
    }
  });
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
    // Once the framework leaves "speaking" it owns the pause (it interrupts the reply or resumes
    // it after a false interruption). A reply it interrupted without pausing would leave our
    // pause on the output: the next reply ("thinking") never starts behind it.
    if (ev.newState === 'thinking') resume();
  });
}
