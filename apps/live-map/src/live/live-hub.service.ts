import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import { LiveMapConfig } from '../config/live-map.config';
import { Before, LiveCar, LiveFleet } from '../fleet/live-fleet';
import { PreEncoded } from './live-parser';
import { isRefusal, parseSubscription, SubscribeRefusal } from './subscription';
import { Viewer, ViewerGrid } from './viewer';

/** How soon a flush held back by a client that has not taken the last one yet is tried again, ms. */
const BUSY_RETRY_MS = 100;

/**
 * The sockets' side of the live map: each socket's viewer, the routing of every car change to the
 * viewers around it, and the coalesced `updates` (at most one per LIVE_MAP_UPDATE_INTERVAL_MS per
 * socket, the first change after a quiet spell at once). Never touches the database.
 */
@Injectable()
export class LiveHub implements OnApplicationShutdown {
  private readonly viewers = new Map<Socket, Viewer>();
  private readonly grid = new ViewerGrid();
  private namespace: Namespace | null = null;
  private statsTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly fleet: LiveFleet,
    private readonly config: LiveMapConfig,
  ) {}

  /** Starts the stats broadcast on the namespace. */
  attach(namespace: Namespace): void {
    this.namespace = namespace;
    this.statsTimer = setInterval(
      () => namespace.emit('stats', this.fleet.stats()),
      this.config.LIVE_MAP_STATS_INTERVAL_MS,
    );
  }

  onApplicationShutdown(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const viewer of this.viewers.values()) if (viewer.timer) clearTimeout(viewer.timer);
  }

  connect(socket: Socket): void {
    this.viewers.set(socket, new Viewer(socket.id));
    // The counts at once, so that a new page need not wait for the next broadcast.
    socket.emit('stats', this.fleet.stats());
  }

  disconnect(socket: Socket): void {
    const viewer = this.viewers.get(socket);
    if (!viewer) return;
    if (viewer.timer) clearTimeout(viewer.timer);
    this.grid.remove(viewer);
    this.viewers.delete(socket);
  }

  /** A `subscribe`: the new viewport's snapshot, then its updates. Returns the ack. */
  subscribe(socket: Socket, body: unknown): { ok: true } | SubscribeRefusal {
    const subscription = parseSubscription(body);
    if (isRefusal(subscription)) return subscription;
    const viewer = this.viewers.get(socket);
    if (!viewer) return { ok: true }; // disconnected meanwhile
    const cars = this.fleet.inBox(subscription.bbox, subscription.states);
    viewer.reset(subscription.bbox, subscription.states, cars);
    this.grid.place(viewer, subscription.bbox);
    socket.emit('snapshot', encodeCars(cars));
    return { ok: true };
  }

  /** A car changed (it was at `before`): the viewers around either position hear of it. */
  changed(car: LiveCar, before: Before): void {
    const note = (viewer: Viewer) => {
      if (viewer.note(car, before)) this.schedule(viewer);
    };
    this.grid.around(before, car.view, note);
    this.grid.eachWide(note);
  }

  private schedule(viewer: Viewer): void {
    if (viewer.timer) return;
    const wait = Math.max(0, viewer.lastSentAtMs + this.config.LIVE_MAP_UPDATE_INTERVAL_MS - Date.now());
    viewer.timer = setTimeout(() => this.flush(viewer), wait);
  }

  private flush(viewer: Viewer): void {
    viewer.timer = null;
    const socket = this.namespace?.sockets.get(viewer.id);
    if (!socket) return;
    if (clientBusy(socket)) {
      // The last updates are still on their way: keep coalescing rather than queueing more.
      viewer.timer = setTimeout(() => this.flush(viewer), BUSY_RETRY_MS);
      return;
    }
    const updates = viewer.takeUpdates();
    if (!updates) return;
    viewer.lastSentAtMs = Date.now();
    socket.emit('updates', encodeCars(updates.cars, updates.removed));
  }
}

/** `{vehicles, removed?}` from the cars' JSON made once per change (see LiveEncoder). */
function encodeCars(cars: readonly LiveCar[], removed?: string[]): PreEncoded {
  const vehicles = `[${cars.map((car) => car.json).join(',')}]`;
  const value = { vehicles: cars.map((car) => car.view), ...(removed ? { removed } : {}) };
  return new PreEncoded(
    removed ? `{"vehicles":${vehicles},"removed":${JSON.stringify(removed)}}` : `{"vehicles":${vehicles}}`,
    value,
  );
}

/**
 * Whether the socket's connection still holds packets it could not write yet: engine.io queues them
 * in its write buffer while the transport has not finished the last send (the kernel's buffer is
 * full: a slow client or a slow link).
 */
function clientBusy(socket: Socket): boolean {
  return ((socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0) > 0;
}
