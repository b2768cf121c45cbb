import { ensureLivekitServer, LIVEKIT_SERVER_VERSION } from './livekit-server';

const bin = await ensureLivekitServer((line) => console.log(line));
console.log(`livekit-server ${LIVEKIT_SERVER_VERSION}: ${bin}`);
