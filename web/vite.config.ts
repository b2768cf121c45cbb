import { defineConfig, type PluginOption } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Development: Vite serves the client on its own port and proxies the gateway's public API and the
 * transcript WebSocket, so the browser sees one origin and the session cookie just works.
 * /internal (agent → gateway) is never proxied. The Origin header is rewritten to the gateway's own
 * origin because the gateway refuses cookie-authenticated writes from foreign origins (CSRF defence).
 * Production: `npm run build -w web` writes web/dist, which the gateway serves itself.
 */
const gateway = process.env.PARLEY_GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // plugin-react's types resolve against the root workspace's Vite 8; web/ builds with its pinned Vite 7,
  // which the plugin supports (peer range ^4 … ^8). The cast only bridges the two type packages.
  plugins: [react() as unknown as PluginOption],
  server: {
    port: Number(process.env.WEB_PORT ?? 5173),
    strictPort: false,
    proxy: {
      '/api': {
        target: gateway,
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on('proxyReq', (req) => {
            if (req.getHeader('origin')) req.setHeader('origin', new URL(gateway).origin);
          });
        },
      },
      '/ws': {
        target: gateway,
        ws: true,
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on('proxyReqWs', (req) => {
            if (req.getHeader('origin')) req.setHeader('origin', new URL(gateway).origin);
          });
        },
      },
    },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    // livekit-client is large; it lives only in the lazily loaded call chunk.
    chunkSizeWarningLimit: 600,
  },
});
