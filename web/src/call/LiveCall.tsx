import { RoomAudioRenderer, RoomContext, StartAudio } from '@livekit/components-react';
import type { Room } from 'livekit-client';
import type { ComponentProps, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { AgentPanel } from './AgentPanel';
import { CallControls } from './CallControls';
import { AgentLimitCountdown } from './LimitCountdown';
import { MicMeter } from './MicMeter';
import { TypedMessage } from './TypedMessage';

/**
 * The parts of the call page that need a LiveKit room (and so @livekit/components-react and
 * livekit-client): loaded with the call, not with the page (CallPage imports this lazily).
 */
export function LiveStage({
  room,
  agentState,
  ended,
  live,
  onEnd,
  timer,
}: {
  room: Room;
  agentState: ComponentProps<typeof AgentPanel>['fallbackState'];
  ended: boolean;
  live: boolean;
  onEnd(): Promise<void>;
  timer: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <RoomContext.Provider value={room}>
      <AgentPanel fallbackState={agentState} ended={ended} />
      <MicMeter />
      {timer}
      {!ended && <AgentLimitCountdown />}
      <CallControls onEnd={onEnd} ready={live} />
      <RoomAudioRenderer />
      <StartAudio label={t('call.allowAudio')} className="button" />
    </RoomContext.Provider>
  );
}

/** The text box under the transcript (typed messages go to the agent over the room). */
export function LiveTyped({ room, live }: { room: Room; live: boolean }) {
  return (
    <RoomContext.Provider value={room}>
      <TypedMessage room={room} live={live} />
    </RoomContext.Provider>
  );
}
