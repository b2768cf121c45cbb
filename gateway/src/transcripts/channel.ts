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
  /** The message as the text frame every socket sends: encoded once, not once per socket. */
  frame: Buffer;
}

/**
 * Reads a bus message's head. Only utterances (seq) and call ends need the whole message parsed;
 * the rest (interims, agent states: most of the traffic) are read from the head publishTranscript
 * writes. Anything else is parsed.
 */
export function readBusMessage(raw: string): BusMessage {
  const frame = Buffer.from(raw);
  const m = SERVER_MESSAGE_HEAD.exec(raw);
  if (m && m[1] !== 'utterance' && m[1] !== 'call_ended')
    return { type: m[1], seq: undefined, createdAtMs: Date.parse(m[2]!), frame };
  const head = JSON.parse(raw) as { type?: string; createdAt?: string; utterance?: { seq?: unknown } };
  const seq = head.utterance?.seq;
  return {
    type: head.type,
    seq: typeof seq === 'number' ? seq : undefined,
    createdAtMs: Date.parse(head.createdAt ?? ''),
    frame,
  };
}
