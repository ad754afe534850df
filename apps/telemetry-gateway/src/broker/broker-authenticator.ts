import { serviceAccounts, ServiceName } from '@fleet/config';
import { verifyMqttPassword } from '@fleet/domain';
import { BrokerIdentity } from '@fleet/messaging';
import { createHash, timingSafeEqual } from 'node:crypto';

/** How long a vehicle's stored hash serves its reconnects before it is read again (a removal takes this long). */
const ACCOUNT_CACHE_MS = 60_000;

/** Reads the stored hashes of the vehicles among `usernames` that may connect. */
export type AccountLookup = (usernames: string[]) => Promise<Map<string, string>>;

interface Waiter {
  resolve: (hash: string | null) => void;
  reject: (err: Error) => void;
}

/**
 * Who may connect to the embedded broker: each service under its own account (SERVICE_ACCOUNTS), and each
 * vehicle under the username (its id) and password its registration issued, checked against the
 * stored hash. Lookups of a connection storm (every car after a restart) go to the database in
 * batches, and a vehicle's hash is kept for a minute for its reconnects.
 */
export class BrokerAuthenticator {
  private readonly cached = new Map<string, { hash: string; until: number }>();
  private batch = new Map<string, Waiter[]>();
  /** The services' accounts: username -> service and the digest of its password. */
  private readonly services = new Map<string, { service: ServiceName; password: Buffer }>();

  /** `passwords`: the services' passwords, by setting (the gateway's configuration has all three). */
  constructor(
    private readonly lookup: AccountLookup,
    passwords: Parameters<typeof serviceAccounts>[0],
  ) {
    for (const [service, { username, password }] of Object.entries(serviceAccounts(passwords)))
      this.services.set(username, {
        service: service as ServiceName,
        password: digest(Buffer.from(password)),
      });
  }

  /** The identity these credentials prove; null when they prove none. Rejects when the database fails. */
  async authenticate(
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<BrokerIdentity | null> {
    if (!username || !password) return null;
    const account = this.services.get(username);
    if (account) {
      return timingSafeEqual(digest(password), account.password)
        ? { kind: 'service', service: account.service }
        : null;
    }
    const hash = await this.storedHash(username);
    return hash !== null && verifyMqttPassword(password.toString('utf8'), hash)
      ? { kind: 'vehicle', vehicleId: username }
      : null;
  }

  private storedHash(username: string): Promise<string | null> {
    const hit = this.cached.get(username);
    if (hit && hit.until > Date.now()) return Promise.resolve(hit.hash);
    return new Promise((resolve, reject) => {
      if (this.batch.size === 0) setImmediate(() => void this.flush());
      const waiting = this.batch.get(username);
      if (waiting) waiting.push({ resolve, reject });
      else this.batch.set(username, [{ resolve, reject }]);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = new Map();
    try {
      const found = await this.lookup([...batch.keys()]);
      const until = Date.now() + ACCOUNT_CACHE_MS;
      for (const [username, waiters] of batch) {
        const hash = found.get(username) ?? null;
        if (hash === null) this.cached.delete(username);
        else this.cached.set(username, { hash, until });
        for (const w of waiters) w.resolve(hash);
      }
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err as Error);
    }
  }
}

function digest(value: Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}
