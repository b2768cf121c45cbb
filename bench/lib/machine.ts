import os from 'node:os';
import { round } from './stats';

export interface MachineInfo {
  cores: number;
  cpu: string | undefined;
  memoryGb: number;
  node: string;
  platform: string;
  /** 1/5/15-minute load averages at the start and end of the run, and the highest 1-minute value seen. */
  loadAverage: { start: number[]; end: number[]; max1m: number };
}

/** Samples the load average during a run: the figures depend on what else the machine is doing. */
export function machineSampler() {
  const la = () => os.loadavg().map((x) => round(x));
  const start = la();
  let max1m = start[0]!;
  const timer = setInterval(() => (max1m = Math.max(max1m, round(os.loadavg()[0]!))), 2000);
  timer.unref();
  return {
    finish(): MachineInfo {
      clearInterval(timer);
      const end = la();
      return {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.type()} ${os.release()}`,
        loadAverage: { start, end, max1m: Math.max(max1m, end[0]!) },
      };
    },
  };
}
