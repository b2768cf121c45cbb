import type { IngestEvent } from '@parley/protocol';
import { serverMessage, type ServerMessage, type Utterance } from '@parley/protocol';
import type { Bus } from '../infra/bus';
import { publishTranscript } from '../transcripts/channel';
import type { CallDirectory, CallRef } from '../calls/directory';
import type { AgentRegistry } from '../agents/registry';
import type { RecordUsage } from '../usage/record';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /**
   * True when this batch carried the call's end (also when a retried batch re-reports it, so what
   * follows an end must be idempotent).
   */
  ended: boolean;
}

/**
 * Applies one batch from the agent, in order. Utterances are stored idempotently on seq (a
 * replayed or reordered batch stores nothing twice); interims and agent states are only relayed;
 * call_started / call_ended move the conversation's status, the first end winning; provider_status
 * (a failover or a recovery in the call's pipeline) goes to the agent registry (/readyz, banner);
 * usage (a job's running provider totals) is priced and stored, replacing that job's last report.
 *
 * Every message is published after its state change is stored, so a WebSocket client that
 * subscribes and then reads the snapshot misses nothing. Utterances the store already held are
 * published again (after the new ones), and so is the standing end reason: if a publish failed
 * after the store succeeded (Redis restarting), the batch got a 503 and its retry delivers what
 * live clients missed. The socket drops seqs and ends it has already sent, so no browser sees a
 * duplicate.
 */
export async function ingestBatch(
  directory: CallDirectory,
  bus: Bus,
  call: CallRef,
  events: IngestEvent[],
  providers?: Pick<AgentRegistry, 'providerStatus'>,
  recordUsage?: RecordUsage,
): Promise<IngestResult> {
  const id = call.id;
  let duplicates = 0;
  let ended = false;
  let run: Utterance[] = [];
  const publish = (m: ServerMessage) => publishTranscript(bus, m);

  const flushUtterances = async () => {
    if (run.length === 0) return;
    const { inserted, known, duplicates: d } = await directory.appendUtterances(call, run);
    run = [];
    duplicates += d;
    for (const utterance of [...inserted, ...known]) await publish(serverMessage('utterance', id, { utterance }));
  };

  for (const event of events) {
    if (event.type === 'utterance') {
      run.push(event.utterance);
      continue;
    }
    await flushUtterances();
    switch (event.type) {
      case 'interim':
        await publish(serverMessage('interim', id, { role: event.role, segmentId: event.segmentId, text: event.text }));
        break;
      case 'agent_state':
        await directory.setAgentState(id, event.state);
        await publish(serverMessage('agent_state', id, { state: event.state }));
        break;
      case 'call_started':
        await directory.markStarted(call, new Date(event.at));
        break;
      case 'call_ended': {
        const reason = await directory.markEnded(call, new Date(event.at), event.reason);
        if (reason === event.reason) ended = true;
        if (reason) await publish(serverMessage('call_ended', id, { reason }));
        break;
      }
      case 'provider_status': {
        const { type: _type, ...status } = event;
        await providers?.providerStatus(status);
        break;
      }
      case 'usage': {
        const { type: _type, ...report } = event;
        await recordUsage?.(call, report);
        break;
      }
    }
  }
  await flushUtterances();
  return { accepted: events.length - duplicates, duplicates, ended };
}
