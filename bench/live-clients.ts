/**
 * Operators of bench/live.ts, run as a child process (child_process.fork): socket.io clients on
 * namespace /live, each subscribed to its own viewport. Counts what arrives: socket.io message bytes
 * (the payload of each engine.io message, as on the wire less the websocket frame header), the cars
 * in `updates`, and each car's latency from its publish (its `fixAt`, the `ts` the publisher put in
 * the sample) to the moment the client parsed the update.
 *
 * IPC (parent -> child): {cmd: 'connect', ...ClientsSetup}; {cmd: 'window'} (counting starts afresh);
 * {cmd: 'report'}; {cmd: 'close'}.
 * IPC (child -> parent): {type: 'connected'}, {type: 'report', stats: ClientsStats}, {type: 'closed'},
 * {type: 'error', message}.
 */
import { io, Socket } from 'socket.io-client';
import { round } from './common';

export interface ClientsSetup {
  url: string;
  token: string;
  /** [west, south, east, north] per client. */
  viewports: [number, number, number, number][];
  /** Connections opened at once. */
  concurrency: number;
}

export interface ClientsStats {
  clients: number;
  connected: number;
  seconds: number;
  /** Cars delivered in `updates` (each car of each update once). */
  vehicleUpdates: number;
  updatesMessages: number;
  /** socket.io message bytes of every event (snapshot, updates, stats). */
  bytes: number;
  /** Latency from publish to client of each delivered car, ms. */
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** Cars without fixAt (not measurable). */
  unmeasured: number;
  disconnects: number;
}

/** Latency histogram: 1 ms buckets up to a minute (more goes in the last). */
const BUCKETS = 60_000;

class Clients {
  private readonly sockets: Socket[] = [];
  private histogram = new Uint32Array(BUCKETS + 1);
  private counted = { vehicleUpdates: 0, updatesMessages: 0, bytes: 0, unmeasured: 0, disconnects: 0 };
  private windowStart = Date.now();

  async connect(setup: ClientsSetup): Promise<void> {
    for (let i = 0; i < setup.viewports.length; i += setup.concurrency) {
      await Promise.all(
        setup.viewports.slice(i, i + setup.concurrency).map((bbox) => this.open(setup, bbox)),
      );
    }
  }

  private open(setup: ClientsSetup, bbox: [number, number, number, number]): Promise<void> {
    // forceNew: a connection of its own, as each operator's browser has (not multiplexed).
    const socket = io(`${setup.url}/live`, {
      auth: { token: setup.token },
      transports: ['websocket'],
      forceNew: true,
    });
    this.sockets.push(socket);
    socket.io.on('open', () => {
      socket.io.engine.on('data', (data: string | ArrayBuffer) => {
        this.counted.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      });
    });
    socket.on('updates', (u: { vehicles: { fixAt?: string }[] }) => {
      const now = Date.now();
      this.counted.updatesMessages++;
      for (const v of u.vehicles) {
        this.counted.vehicleUpdates++;
        if (!v.fixAt) {
          this.counted.unmeasured++;
          continue;
        }
        const ms = Math.max(0, Math.round(now - Date.parse(v.fixAt)));
        this.histogram[Math.min(ms, BUCKETS)]++;
      }
    });
    socket.on('disconnect', () => this.counted.disconnects++);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => {
        socket.emit('subscribe', { bbox }, (ack: { ok: boolean }) =>
          ack.ok ? resolve() : reject(new Error(`subscribe refused: ${JSON.stringify(ack)}`)),
        );
      });
      socket.once('connect_error', reject);
    });
  }

  window(): void {
    this.histogram = new Uint32Array(BUCKETS + 1);
    this.counted = { vehicleUpdates: 0, updatesMessages: 0, bytes: 0, unmeasured: 0, disconnects: 0 };
    this.windowStart = Date.now();
  }

  report(): ClientsStats {
    const total = this.histogram.reduce((s, n) => s + n, 0);
    const at = (q: number): number | null => {
      if (total === 0) return null;
      const rank = Math.ceil(q * total);
      let seen = 0;
      for (let ms = 0; ms <= BUCKETS; ms++) {
        seen += this.histogram[ms];
        if (seen >= rank) return ms;
      }
      return BUCKETS;
    };
    return {
      clients: this.sockets.length,
      connected: this.sockets.filter((s) => s.connected).length,
      seconds: round((Date.now() - this.windowStart) / 1000, 3),
      ...this.counted,
      latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
    };
  }

  close(): void {
    for (const s of this.sockets) s.disconnect();
  }
}

type ParentMessage =
  ({ cmd: 'connect' } & ClientsSetup) | { cmd: 'window' } | { cmd: 'report' } | { cmd: 'close' };

if (require.main === module) {
  const clients = new Clients();
  const send = (m: unknown) => process.send?.(m);
  process.on('message', (m: ParentMessage) => {
    void (async () => {
      try {
        if (m.cmd === 'connect') {
          await clients.connect(m);
          send({ type: 'connected' });
        } else if (m.cmd === 'window') {
          clients.window();
        } else if (m.cmd === 'report') {
          send({ type: 'report', stats: clients.report() });
        } else if (m.cmd === 'close') {
          clients.close();
          send({ type: 'closed' });
          process.disconnect?.();
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).stack ?? (err as Error).message });
      }
    })();
  });
  process.on('disconnect', () => setTimeout(() => process.exit(0), 100).unref());
}
