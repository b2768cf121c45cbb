import { defineAgent, type JobContext, type JobProcess } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { RoomEvent } from '@livekit/rtc-node';
import { CallMetadata } from '@parley/protocol';

/**
 * The job entry, loaded in each forked job process. Prewarm runs once per process.
 * `entry` runs once per call.
 */
export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx: JobContext) => {
    const metadata = CallMetadata.parse(JSON.parse(ctx.job.metadata || '{}'));
    await ctx.connect();
    // The job ends when the last caller leaves (registered before anything else can await).
    const endIfAlone = () => {
      if (ctx.room.remoteParticipants.size === 0) ctx.shutdown('caller_left');
    };
    ctx.room.on(RoomEvent.ParticipantDisconnected, endIfAlone);
    // Lets the caller (and tests) see which conversation this agent serves.
    await ctx.room.localParticipant?.setAttributes({ 'parley.conversation_id': metadata.conversationId });
    endIfAlone();
  },
});
