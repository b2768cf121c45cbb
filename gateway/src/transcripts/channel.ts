import type { ServerMessage } from '@parley/protocol';
import type { Bus } from '../infra/bus';

/** Bus channel carrying one conversation's ServerMessages (JSON) to every gateway process. */
export const transcriptChannel = (conversationId: string) => `transcripts:${conversationId}`;

export async function publishTranscript(bus: Bus, message: ServerMessage): Promise<void> {
  await bus.publish(transcriptChannel(message.conversationId), JSON.stringify(message));
}
