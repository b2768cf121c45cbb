import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Each case builds an AgentServer in a fresh Node process: agents' runner registry is process-global.
const construct = (skip: boolean) => {
  const script = `
    const { AgentServer, InferenceRunner, ServerOptions, initializeLogger } = await import('@livekit/agents');
    initializeLogger({ pretty: false, level: 'error' });
    ${skip ? "(await import('./agent/src/local-eot.ts')).skipLocalEndOfTurnModel();" : ''}
    new AgentServer(new ServerOptions({ agent: 'unused.ts', wsURL: 'ws://127.0.0.1:9', apiKey: 'k', apiSecret: 's', port: 0 }));
    const r = InferenceRunner.registeredRunners;
    console.log(JSON.stringify({ enumerable: Object.keys(r), eot: 'lk_eot_audio' in r }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('../..', import.meta.url),
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { enumerable: string[]; eot: boolean };
};

describe('skipLocalEndOfTurnModel', () => {
  it('agents 1.8.1 registers its end-of-turn model runner (so starts an inference process) unless told not to', () => {
    expect(construct(false).enumerable).toEqual(['lk_eot_audio']);
  }, 120_000);

  it('leaves the worker with no runner to start an inference process for', () => {
    expect(construct(true)).toEqual({ enumerable: [], eot: true });
  }, 120_000);
});
