import { paths as api } from '@parley/protocol/paths';
import { call } from './client';

export const getMemory = () => call(api.memory.list);
export const forgetSummary = (id: string) => call(api.memory.forget, { params: { id } });
export const forgetAll = () => call(api.memory.forgetAll);
