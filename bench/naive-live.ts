/**
 * The naive baseline of bench/live.ts, run as a child process: a socket.io server (namespace /live)
 * that follows the state stream and sends every change to every socket at once, as `updates`, with
 * no viewport, filter or coalescing: what a live map without them would cost each client.
 *
 * Environment: MQTT_URL, NAIVE_PORT. IPC (child -> parent): {type: 'ready'}, {type: 'error', message}.
 */
import { followStateStream } from '@fleet/messaging';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { toLiveVehicle } from '../apps/live-map/src/fleet/live-fleet';

if (require.main === module) {
  const send = (m: unknown) => process.send?.(m);
  const http = createServer();
  const live = new Server(http).of('/live');
  // Every client is let in, and its subscribe acknowledged, but ignored.
  live.on('connection', (socket) =>
    socket.on('subscribe', (_body: unknown, ack?: (a: unknown) => void) => ack?.({ ok: true })),
  );
  followStateStream(
    process.env.MQTT_URL!,
    'bench-naive-live',
    {},
    {
      changes: (views) => {
        const vehicles = views.map(toLiveVehicle).filter((v) => v !== null);
        if (vehicles.length) live.emit('updates', { vehicles, removed: [] });
      },
      malformed: (reason) => send({ type: 'error', message: `malformed state stream message: ${reason}` }),
      subscribed: () => send({ type: 'ready' }),
    },
  );
  http.listen(Number(process.env.NAIVE_PORT));
  process.on('disconnect', () => process.exit(0));
}
