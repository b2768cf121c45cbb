import { InferenceRunner } from '@livekit/agents';

/** agents 1.8.1's method name for its local audio end-of-turn model (inference/eot/runner.ts). */
export const EOT_INFERENCE_METHOD = 'lk_eot_audio';

/**
 * Keeps agents from starting its end-of-turn inference process (~337 MB RSS, one per worker).
 *
 * agents 1.8.1's AgentServer constructor registers the local EOT runner whenever
 * `@livekit/local-inference` loads — a hard dependency of agents, so there is no plugin to leave
 * out — and then starts an InferenceProcExecutor for it, whether or not a session ever uses a model
 * turn detector. Parley's sessions use VAD turn detection (job.ts), so nothing would ever call it.
 * The registration is skipped when the method already has an entry, and the executor is created only
 * when `Object.keys(registeredRunners)` is non-empty: a non-enumerable entry satisfies the first
 * check and not the second. Must run before `new AgentServer(...)`. Versions are pinned exactly
 * (1.8.1); e2e/agent-dispatch.test.ts asserts the worker has no inference child, so an upgrade that
 * changes either check fails there instead of silently bringing the process back.
 */
export function skipLocalEndOfTurnModel(): void {
  const runners = InferenceRunner.registeredRunners;
  if (Object.prototype.hasOwnProperty.call(runners, EOT_INFERENCE_METHOD)) return;
  Object.defineProperty(runners, EOT_INFERENCE_METHOD, {
    value: 'disabled: Parley uses VAD turn detection',
    enumerable: false,
    writable: false,
    configurable: true,
  });
}
