import { useMediaDeviceSelect, useRoomContext, useTrackToggle } from '@livekit/components-react';
import { Track } from 'livekit-client';
import { useCallback, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { microphoneProblem } from './errors';

/** `ready`: the microphone track is published (until then the toggle would wrongly read "muted"). */
export function CallControls({ onEnd, ready }: { onEnd: () => Promise<void>; ready: boolean }) {
  const { t } = useTranslation();
  const room = useRoomContext();
  const { enabled, pending, toggle } = useTrackToggle({ source: Track.Source.Microphone });
  const [deviceError, setDeviceError] = useState<string | null>(null);
  // Stable identity matters: the hook rebuilds (and empties) its device list whenever onError changes.
  const onDeviceError = useCallback((e: Error) => setDeviceError(microphoneProblem(e).message), []);
  const { devices, activeDeviceId, setActiveMediaDevice } = useMediaDeviceSelect({
    kind: 'audioinput',
    room,
    // Only once the microphone is open: permission is granted by then, so this adds no prompt but
    // makes the browser list devices with their labels.
    requestPermissions: ready,
    onError: onDeviceError,
  });
  const selectId = useId();
  const [ending, setEnding] = useState(false);

  return (
    <div className="call-controls">
      <div className="control-row">
        <button
          type="button"
          className={`button mic-toggle${enabled ? '' : ' is-muted'}`}
          disabled={pending || !ready}
          onClick={() => void toggle()}
        >
          {!ready ? t('controls.connectingMic') : enabled ? t('controls.mute') : t('controls.unmute')}
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
          {t('controls.end')}
        </button>
      </div>
      {ready && !enabled && (
        <p className="muted small" role="status">
          {t('controls.muted')}
        </p>
      )}
      {devices.length > 0 && (
        <div className="field field-inline">
          <label htmlFor={selectId}>{t('controls.microphone')}</label>
          <select
            id={selectId}
            value={activeDeviceId}
            onChange={(e) => {
              setDeviceError(null);
              void setActiveMediaDevice(e.target.value).catch((err: unknown) =>
                setDeviceError(microphoneProblem(err).message),
              );
            }}
          >
            {devices.map((d, i) => (
              <option key={d.deviceId || i} value={d.deviceId}>
                {d.label || t('controls.microphoneN', { n: i + 1 })}
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
