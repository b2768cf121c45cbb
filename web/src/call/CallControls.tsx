import { useMediaDeviceSelect, useRoomContext, useTrackToggle } from '@livekit/components-react';
import { Track } from 'livekit-client';
import { useId, useState } from 'react';
import { microphoneProblem } from './errors';

export function CallControls({ onEnd }: { onEnd: () => Promise<void> }) {
  const room = useRoomContext();
  const { enabled, pending, toggle } = useTrackToggle({ source: Track.Source.Microphone });
  const [deviceError, setDeviceError] = useState<string | null>(null);
  const { devices, activeDeviceId, setActiveMediaDevice } = useMediaDeviceSelect({
    kind: 'audioinput',
    room,
    onError: (e) => setDeviceError(microphoneProblem(e).message),
  });
  const selectId = useId();
  const [ending, setEnding] = useState(false);

  return (
    <div className="call-controls">
      <div className="control-row">
        <button
          type="button"
          className={`button mic-toggle${enabled ? '' : ' is-muted'}`}
          aria-pressed={!enabled}
          disabled={pending}
          onClick={() => void toggle()}
        >
          {enabled ? 'Mute microphone' : 'Unmute microphone'}
        </button>
        <button
          type="button"
          className="button button-danger"
          disabled={ending}
          onClick={() => {
            setEnding(true);
            void onEnd().finally(() => setEnding(false));
          }}
        >
          End call
        </button>
      </div>
      {!enabled && (
        <p className="muted small" role="status">
          Your microphone is muted. Parley can’t hear you.
        </p>
      )}
      {devices.length > 0 && (
        <div className="field field-inline">
          <label htmlFor={selectId}>Microphone</label>
          <select
            id={selectId}
            value={activeDeviceId}
            onChange={(e) => {
              setDeviceError(null);
              void setActiveMediaDevice(e.target.value).catch((err: unknown) => setDeviceError(microphoneProblem(err).message));
            }}
          >
            {devices.map((d, i) => (
              <option key={d.deviceId || i} value={d.deviceId}>
                {d.label || `Microphone ${i + 1}`}
              </option>
            ))}
          </select>
        </div>
      )}
      {deviceError && (
        <p className="field-error" role="alert">
          {deviceError}
        </p>
      )}
    </div>
  );
}
