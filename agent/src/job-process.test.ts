import { describe, expect, it } from 'vitest';
import { jobExecArgv } from './job-process';

describe('jobExecArgv', () => {
  it("drops tsx's loader in each spelling and keeps the other flags", () => {
    for (const tsx of [['--import', 'tsx'], ['--import=tsx'], ['--loader', 'tsx/esm'], ['--require=tsx/cjs']])
      expect(
        jobExecArgv(['--enable-source-maps', ...tsx, '--import=/x/profile.mjs'], { dropTsx: true, semiSpaceMb: 0 }),
      ).toEqual(['--enable-source-maps', '--import=/x/profile.mjs']);
  });

  it('keeps tsx when the job entry is not bundled, and the production resolve hook always', () => {
    expect(jobExecArgv(['--import', 'tsx'], { dropTsx: false, semiSpaceMb: 0 })).toEqual(['--import', 'tsx']);
    expect(jobExecArgv(['--import', './deploy/runtime/register.mjs'], { dropTsx: true, semiSpaceMb: 0 })).toEqual([
      '--import',
      './deploy/runtime/register.mjs',
    ]);
  });

  it('sets the semi-space cap once, replacing one the worker had', () => {
    expect(jobExecArgv(['--max-semi-space-size=16'], { dropTsx: true, semiSpaceMb: 2 })).toEqual([
      '--max-semi-space-size=2',
    ]);
    expect(jobExecArgv(['--max-semi-space-size=16'], { dropTsx: true, semiSpaceMb: 0 })).toEqual([]);
  });
});
