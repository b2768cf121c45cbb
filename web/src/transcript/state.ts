import type { AgentState, EndReason, Role, ServerMessage, Utterance } from '@parley/protocol';

/** What the transcript view shows: finals in seq order (each seq once) plus one provisional line per speaker. */
export interface TranscriptState {
  utterances: Utterance[];
  interims: Partial<Record<Role, { segmentId: string; text: string }>>;
  agentState: AgentState | null;
  ended: boolean;
  endReason: EndReason | null;
  /** The agent was lost mid-call and a new one is on its way (cleared when an agent reports again). */
  agentReconnecting: boolean;
}

export const initialTranscript: TranscriptState = {
  utterances: [],
  interims: {},
  agentState: null,
  ended: false,
  endReason: null,
  agentReconnecting: false,
};

/** Merges utterances by seq (later copies win) and keeps them ordered. */
export function mergeUtterances(current: Utterance[], incoming: Utterance[]): Utterance[] {
  if (incoming.length === 0) return current;
  const bySeq = new Map<number, Utterance>();
  for (const u of current) bySeq.set(u.seq, u);
  for (const u of incoming) bySeq.set(u.seq, u);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function withoutInterim(interims: TranscriptState['interims'], role: Role): TranscriptState['interims'] {
  if (!interims[role]) return interims;
  const next = { ...interims };
  delete next[role];
  return next;
}

export type TranscriptAction = ServerMessage | { type: 'reset' };

export function transcriptReducer(state: TranscriptState, msg: TranscriptAction): TranscriptState {
  switch (msg.type) {
    case 'reset':
      return initialTranscript;
    case 'snapshot':
      // Sent on every (re)connect: it fills whatever was missed while the socket was down.
      return {
        utterances: mergeUtterances(state.utterances, msg.utterances),
        interims: msg.ended ? {} : state.interims,
        agentState: msg.agentState ?? state.agentState,
        ended: msg.ended,
        endReason: msg.endReason,
        agentReconnecting: msg.ended ? false : state.agentReconnecting,
      };
    case 'utterance':
      return {
        ...state,
        utterances: mergeUtterances(state.utterances, [msg.utterance]),
        // A typed turn leaves what the caller is saying meanwhile (their spoken interim) in place.
        interims: msg.utterance.typed ? state.interims : withoutInterim(state.interims, msg.utterance.role),
        agentReconnecting: msg.utterance.role === 'agent' ? false : state.agentReconnecting,
      };
    case 'interim':
      if (state.ended) return state;
      if (msg.text.trim() === '') return { ...state, interims: withoutInterim(state.interims, msg.role) };
      return { ...state, interims: { ...state.interims, [msg.role]: { segmentId: msg.segmentId, text: msg.text } } };
    case 'agent_state':
      return { ...state, agentState: msg.state, agentReconnecting: false };
    case 'agent_reconnecting':
      return state.ended
        ? state
        : { ...state, agentReconnecting: true, interims: withoutInterim(state.interims, 'agent') };
    case 'call_ended':
      return { ...state, ended: true, endReason: msg.reason, interims: {}, agentReconnecting: false };
    case 'pong':
    case 'error':
      return state;
  }
}
