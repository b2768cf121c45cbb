import { useLocalParticipant } from '@livekit/components-react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Below this the meter reads 0 (room noise); 0 dBFS reads 100. */
const FLOOR_DB = -60;
const TICK_MS = 80;
/** How far the shown level may fall per tick: rises at once, falls gently (easier to read). */
const RELEASE_PER_TICK = 8;

/** 0–100 from one window of samples: its RMS in dBFS between FLOOR_DB and 0. */
export function meterLevel(samples: Float32Array): number {
  let sum = 0;
  for (const v of samples) sum += v * v;
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.round(Math.min(100, Math.max(0, ((db - FLOOR_DB) / -FLOOR_DB) * 100)));
}

/**
 * The caller's own microphone level, next to the agent's visualiser: what the published microphone
 * track carries (so a muted or silent microphone reads 0), measured with a WebAudio AnalyserNode.
 * The track's MediaStreamTrack is read on every tick: picking another microphone replaces it.
 */
export function MicMeter() {
  const { t } = useTranslation();
  const { microphoneTrack, isMicrophoneEnabled } = useLocalParticipant();
  const track = microphoneTrack?.track;
  const [level, setLevel] = useState(0);

  useEffect(() => {
    if (!track || !isMicrophoneEnabled || typeof AudioContext === 'undefined') {
      setLevel(0);
      return;
    }
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    const samples = new Float32Array(analyser.fftSize);
    let source: MediaStreamAudioSourceNode | null = null;
    let current: MediaStreamTrack | undefined;
    let shown = 0;
    void ctx.resume().catch(() => undefined);
    const tick = setInterval(() => {
      const mst = track.mediaStreamTrack;
      if (mst !== current) {
        source?.disconnect();
        source = null;
        try {
          if (mst) {
            source = ctx.createMediaStreamSource(new MediaStream([mst]));
            source.connect(analyser);
          }
          current = mst;
        } catch {
          // The track is between devices (ended, not yet replaced): try again on the next tick.
        }
      }
      analyser.getFloatTimeDomainData(samples);
      const now = meterLevel(samples);
      shown = now >= shown ? now : Math.max(now, shown - RELEASE_PER_TICK);
      setLevel(shown);
    }, TICK_MS);
    return () => {
      clearInterval(tick);
      source?.disconnect();
      void ctx.close().catch(() => undefined);
    };
  }, [track, isMicrophoneEnabled]);

  return (
    <div className="mic-meter">
      <span className="mic-meter-label" aria-hidden="true">
        {t('transcript.you')}
      </span>
      <div
        className="mic-meter-track"
        role="meter"
        aria-label={t('call.micLevel')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={level}
        data-testid="mic-meter"
      >
        <div className="mic-meter-fill" style={{ transform: `scaleX(${level / 100})` }} />
      </div>
    </div>
  );
}
