import { Caller, SessionCheck } from '@fleet/auth';
import { PeriodicTask } from '@fleet/service-kit';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { LiveMapConfig } from '../config/live-map.config';

/**
 * Ends the sockets whose session ended, whose account was blocked, deleted or given another role
 * (CONTRACT.md 5: within 60 s): every LIVE_MAP_SESSION_SWEEP_MS it checks all connected sockets'
 * sessions in one database read, tells each refused socket why (`session_ended {code}`) and
 * disconnects it.
 */
@Injectable()
export class SessionSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionSweep.name);
  private readonly sockets = new Map<Socket, Caller>();
  private readonly task = new PeriodicTask('checking the sockets’ sessions', this.logger, () => this.sweep());

  constructor(
    private readonly sessions: SessionCheck,
    private readonly config: LiveMapConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start(this.config.LIVE_MAP_SESSION_SWEEP_MS);
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }

  watch(socket: Socket, caller: Caller): void {
    this.sockets.set(socket, caller);
  }

  forget(socket: Socket): void {
    this.sockets.delete(socket);
  }

  async sweep(): Promise<void> {
    if (this.sockets.size === 0) return;
    const watched = [...this.sockets];
    const verdicts = await this.sessions.checkMany(watched.map(([, caller]) => caller));
    for (const [socket, caller] of watched) {
      const refusal = verdicts.get(caller.sessionId);
      if (!refusal) continue;
      socket.emit('session_ended', { code: refusal });
      socket.disconnect(true);
      this.sockets.delete(socket);
    }
  }
}
