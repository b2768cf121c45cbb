import { SERVER_MESSAGE_HEAD, type ServerMessage } from '@parley/protocol';
import type { Bus } from '../infra/bus';

/** Bus channel carrying one conversation's ServerMessages (JSON) to every gateway process. */
export const transcriptChannel = (conversationId: string) => `transcripts:${conversationId}`;

export async function publishTranscript(bus: Bus, message: ServerMessage): Promise<void> {
  await publishEncoded(bus, message.conversationId, JSON.stringify(message));
}

/** Publishes a ServerMessage already encoded (to publish one message twice without encoding it twice). */
export async function publishEncoded(bus: Bus, conversationId: string, json: string): Promise<void> {
  await bus.publish(transcriptChannel(conversationId), json);
}

/** What a transcript socket needs of a bus message, read once per process (not per socket). */
export interface BusMessage {
  type: string | undefined;
  /** The utterance's seq (utterance messages only), for deduplication. */
  seq: number | undefined;
  createdAtMs: number;
  /**
   * The message as the text frame every socket sends: encoded once, not once per socket, and only
   * when a socket sends it (every socket drops a signed-in user's second copy of an utterance).
   */
  frame(): Buffer;
}

const framer = (raw: string) => {
  let frame: Buffer | undefined;
  return () => (frame ??= Buffer.from(raw));
};

/**
 * Reads a bus message's head: interims, agent states and utterances (most of the traffic) from the
 * head serverMessage writes, without a parse. Call ends, and anything written in another key
 * order, are parsed.
 */
export function readBusMessage(raw: string): BusMessage {
  const frame = framer(raw);
  const m = SERVER_MESSAGE_HEAD.exec(raw);
  if (m && m[1] !== 'call_ended' && (m[1] !== 'utterance' || m[3] !== undefined))
    return { type: m[1], seq: m[3] === undefined ? undefined : Number(m[3]), createdAtMs: Date.parse(m[2]!), frame };
  const head = JSON.parse(raw) as { type?: string; createdAt?: string; utterance?: { seq?: unknown } };
  const seq = head.utterance?.seq;
  return {
    type: head.type,
    seq: typeof seq === 'number' ? seq : undefined,
    createdAtMs: Date.parse(head.createdAt ?? ''),
    frame,
  };
}
