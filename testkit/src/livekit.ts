import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  type RemoteTrack,
} from '@livekit/rtc-node';
import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';

export interface LivekitEndpoint {
  url: string;
  apiKey: string;
  apiSecret: string;
}

export async function participantToken(
  lk: LivekitEndpoint,
  identity: string,
  room: string,
  dispatch?: { agentName: string; metadata: string },
): Promise<string> {
  const at = new AccessToken(lk.apiKey, lk.apiSecret, { identity, ttl: 600 });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
  if (dispatch) at.roomConfig = new RoomConfiguration({ agents: [new RoomAgentDispatch(dispatch)] });
  return at.toJwt();
}

export async function connectParticipant(url: string, token: string, timeoutMs?: number): Promise<Room> {
  const room = new Room();
  const connecting = room.connect(url, token, { autoSubscribe: true, dynacast: false });
  if (timeoutMs === undefined) await connecting;
  else {
    // A connect that never settles (seen after a LiveKit node died) is given up like one that fails.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`LiveKit connect not done within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([connecting, timedOut]);
    } catch (err) {
      connecting.catch(() => undefined);
      await room.disconnect().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  return room;
}

/** Publishes a microphone-like track fed from PCM16 mono; `play` paces frames in real time. */
export async function publishAudio(room: Room, sampleRate = 48000) {
  const source = new AudioSource(sampleRate, 1);
  const track = LocalAudioTrack.createAudioTrack('microphone', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  await room.localParticipant!.publishTrack(track, options);
  const frameSamples = sampleRate / 100;
  return {
    source,
    track,
    async play(pcm: Int16Array) {
      for (let i = 0; i < pcm.length; i += frameSamples) {
        const chunk = new Int16Array(frameSamples);
        chunk.set(pcm.subarray(i, Math.min(i + frameSamples, pcm.length)));
        await source.captureFrame(new AudioFrame(chunk, sampleRate, 1, frameSamples));
      }
    },
    async silence(ms: number) {
      await this.play(new Int16Array((sampleRate * ms) / 1000));
    },
  };
}

export function waitForRemoteAudioTrack(
  room: Room,
  fromIdentity?: (id: string) => boolean,
  timeoutMs = 20_000,
): Promise<RemoteTrack> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no remote audio track')), timeoutMs);
    const check = (track: RemoteTrack, _pub: unknown, participant: { identity: string }) => {
      if (track.kind !== TrackKind.KIND_AUDIO) return;
      if (fromIdentity && !fromIdentity(participant.identity)) return;
      clearTimeout(timer);
      room.off(RoomEvent.TrackSubscribed, check);
      resolve(track);
    };
    room.on(RoomEvent.TrackSubscribed, check);
    for (const p of room.remoteParticipants.values())
      for (const pub of p.trackPublications.values())
        if (pub.track && pub.kind === TrackKind.KIND_AUDIO && (!fromIdentity || fromIdentity(p.identity))) {
          clearTimeout(timer);
          resolve(pub.track as RemoteTrack);
          return;
        }
  });
}

export { AudioStream };
