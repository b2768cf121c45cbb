// Local stand-ins for the cloud providers, speaking their real wire protocols so the real
// LiveKit plugins and the `openai` SDK can be pointed at them (see docs/testing-fakes.md).
export * from './deepgram';
export * from './openai';
export type { FakeRealtimeSttSession } from './openai-realtime';
export * from './cartesia';
export { voiceSignal, rmsLevel } from './voice-signal';
export * from './frames';
