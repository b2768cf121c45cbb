/* global window, document, navigator, MediaStream, AudioContext, MutationObserver */
// Injected into every browser-test page before its own scripts (see support.ts):
// - __parley.micOpens: when getUserMedia opened the real (fake-device) microphone, and its label;
//   the WAV starts playing in that capture then;
// - __parley.lines: when each transcript line (final `li.turn` or provisional `[data-interim]`) first
//   appeared, with its speaker and text;
// - __parley.levels: RMS of the remote audio every 50 ms, from a WebAudio AnalyserNode on each
//   <audio> element's stream (what RoomAudioRenderer plays);
// - __parleyTranscript(): the live transcript as text, one "Speaker: text" line per turn.
(() => {
  const state = { silentMicAt: 0, micOpens: [], lines: [], levels: [], meters: 0 };
  window.__parley = state;

  // The fake-mic WAV plays once from when a capture opens, so the test decides when the caller
  // speaks: the page's first microphone is a silent WebAudio track; the real fake device (playing
  // the WAV from its start) opens when the person picks a microphone in the call controls, which
  // makes LiveKit restart the published track with getUserMedia.
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const getUserMedia = md.getUserMedia.bind(md);
    let silentFirst = true;
    md.getUserMedia = async (constraints) => {
      if (silentFirst && constraints && constraints.audio && !constraints.video) {
        silentFirst = false;
        const ctx = new AudioContext({ sampleRate: 48000 });
        const dest = ctx.createMediaStreamDestination();
        dest.channelCount = 1;
        state.silentMicAt = Date.now();
        return dest.stream;
      }
      const stream = await getUserMedia(constraints);
      const track = stream.getAudioTracks()[0];
      if (track) state.micOpens.push({ at: Date.now(), label: track.label });
      return stream;
    };
  }

  const roleOf = (el) =>
    el.classList.contains('turn-user') ? 'user' : el.classList.contains('turn-agent') ? 'agent' : '?';
  const lastText = new WeakMap();
  const metered = new WeakSet();
  const scan = () => {
    // A provisional line keeps its element while its text grows: record each new text once.
    for (const el of document.querySelectorAll('li.turn, [data-interim]')) {
      const text = el.querySelector('.turn-text')?.textContent ?? '';
      if (!text || lastText.get(el) === text) continue;
      const interim = el.hasAttribute('data-interim');
      if (!interim && lastText.has(el)) continue;
      lastText.set(el, text);
      state.lines.push({ at: Date.now(), kind: interim ? 'interim' : 'final', role: roleOf(el), text });
    }
    for (const audio of document.querySelectorAll('audio')) {
      const src = audio.srcObject;
      if (metered.has(audio) || !(src instanceof MediaStream) || src.getAudioTracks().length === 0) continue;
      metered.add(audio);
      state.meters++;
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 2048;
      ctx.createMediaStreamSource(src).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      setInterval(() => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        state.levels.push({ at: Date.now(), rms: Math.sqrt(sum / buf.length) });
      }, 50);
    }
  };
  const start = () => {
    new MutationObserver(scan).observe(document.documentElement, {
      subtree: true,
      childList: true,
      characterData: true,
    });
    setInterval(scan, 100);
  };
  if (document.documentElement) start();
  else document.addEventListener('DOMContentLoaded', start);

  window.__parleyTranscript = () =>
    [...document.querySelectorAll('[data-testid="transcript-scroll"] .turn')]
      .map(
        (el) =>
          `${el.querySelector('.speaker')?.textContent}${el.hasAttribute('data-interim') ? ' (provisional)' : ''}: ${el.querySelector('.turn-text')?.textContent}`,
      )
      .join('\n');
})();
