import { AccessTokens, allows, Caller, InvalidTokenError, PERMISSIONS, SessionCheck } from '@fleet/auth';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { LiveHub } from './live-hub.service';
import { liveParser } from './live-parser';
import { SessionSweep } from './session-sweep';
import { LiveErrorCode, SubscribeRefusal } from './subscription';

/** Longest timer Node keeps (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The socket protocol of CONTRACT.md 3 on namespace `/live`: staff only, as the permission table's
 * `SOCKET /live` row says (the handshake's `auth.token`, whose session must hold); each socket
 * disconnected when its token expires or its session ends (SessionSweep); `subscribe` answered
 * through the hub.
 */
@WebSocketGateway({ namespace: '/live', parser: liveParser })
export class LiveGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly expiry = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly hub: LiveHub,
    private readonly tokens: AccessTokens,
    private readonly sessions: SessionCheck,
    private readonly sweep: SessionSweep,
  ) {}

  afterInit(namespace: Namespace): void {
    namespace.use((socket, next) => {
      this.admit(handshakeToken(socket)).then(
        (caller) => {
          if (!allows(PERMISSIONS['SOCKET /live'].access, caller.role)) {
            return next(new Error(LiveErrorCode.Forbidden));
          }
          (socket.data as { caller?: Caller }).caller = caller;
          next();
        },
        (err: Error) =>
          next(new Error(err instanceof InvalidTokenError ? LiveErrorCode.Unauthorized : err.message)),
      );
    });
    this.hub.attach(namespace);
  }

  handleConnection(socket: Socket): void {
    const expiresInS = this.tokens.secondsLeft(handshakeToken(socket) ?? '');
    if (expiresInS !== null) {
      const timer = setTimeout(() => socket.disconnect(true), Math.min(expiresInS * 1000, MAX_TIMER_MS));
      this.expiry.set(socket.id, timer);
    }
    const { caller } = socket.data as { caller?: Caller };
    if (caller) this.sweep.watch(socket, caller);
    this.hub.connect(socket);
  }

  handleDisconnect(socket: Socket): void {
    clearTimeout(this.expiry.get(socket.id));
    this.expiry.delete(socket.id);
    this.sweep.forget(socket);
    this.hub.disconnect(socket);
  }

  @SubscribeMessage('subscribe')
  subscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() body: unknown,
  ): { ok: true } | SubscribeRefusal {
    return this.hub.subscribe(socket, body);
  }

  /** The caller of a valid token whose session holds; an InvalidTokenError otherwise. */
  private async admit(token: string | undefined): Promise<Caller> {
    const caller = await this.tokens.verify(token);
    if (await this.sessions.check(caller)) throw new InvalidTokenError('the session has ended');
    return caller;
  }
}

/** The token of the handshake's `auth: {token}`, if it is a string. */
function handshakeToken(socket: Socket): string | undefined {
  const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' ? token : undefined;
}
