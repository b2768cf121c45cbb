/** The one mapping of a `conversations` row, shared by the call path and history. */
export type ConversationStatus = 'created' | 'active' | 'ended';

export interface ConversationRow {
  id: string;
  userId: string;
  title: string | null;
  room: string;
  language: string;
  status: ConversationStatus;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  durationMs: number | null;
  endReason: string | null;
  turnCount: number;
}

export const CONVERSATION_COLUMNS = [
  'id',
  'user_id',
  'title',
  'room',
  'language',
  'status',
  'created_at',
  'started_at',
  'ended_at',
  'duration_ms',
  'end_reason',
  'turn_count',
];

const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));

/** Works for pg and PGlite rows alike (either may hand back strings for dates and bigints). */
export function toConversationRow(r: Record<string, any>): ConversationRow {
  return {
    id: r.id,
    userId: r.user_id,
    title: r.title ?? null,
    room: r.room,
    language: r.language,
    status: r.status,
    createdAt: new Date(r.created_at),
    startedAt: date(r.started_at),
    endedAt: date(r.ended_at),
    durationMs: r.duration_ms === null || r.duration_ms === undefined ? null : Number(r.duration_ms),
    endReason: r.end_reason,
    turnCount: Number(r.turn_count),
  };
}
