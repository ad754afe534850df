import { stableMqttPasswordHash } from '@fleet/domain';
import { serviceAccounts, ServiceName } from '@fleet/config';
import { MosquittoAccount, mosquittoAuthFiles } from '@fleet/messaging';
import { PeriodicTask } from '@fleet/service-kit';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayConfig } from '../config/gateway.config';
import { IngestService } from '../ingest/ingest.service';
import { VehicleAccountsRepository } from './vehicle-accounts.repository';

/**
 * Keeps an external Mosquitto's password and ACL files (MOSQUITTO_AUTH_DIR) in step with the
 * registered vehicles, every MOSQUITTO_AUTH_SYNC_S seconds. A file is replaced atomically and only when
 * its content changes; whatever runs Mosquitto reloads it on a change (SIGHUP: docker/mosquitto/run.sh
 * does that). The stored `$7$` hashes are Mosquitto's own format, so no secret is ever needed here.
 *
 * The cars' accounts are written only while this gateway's telemetry subscription stands. Mosquitto
 * 2.0 does not restore shared subscriptions when it restarts: what a car published before the gateway
 * subscribed again would reach nobody and be lost. So the broker starts with no car accounts (run.sh
 * empties the file), cars keep their samples and retry, and are let in once a gateway listens.
 */
@Injectable()
export class MosquittoAuthSync implements OnApplicationShutdown {
  private readonly logger = new Logger(MosquittoAuthSync.name);
  private readonly task = new PeriodicTask('writing the Mosquitto account files', this.logger, () =>
    this.write(),
  );
  private readonly services: Record<ServiceName, MosquittoAccount>;

  constructor(
    private readonly config: GatewayConfig,
    private readonly accounts: VehicleAccountsRepository,
    private readonly ingest: IngestService,
  ) {
    const { gateway, booking, liveMap } = serviceAccounts(config);
    const hashed = ({ username, password }: { username: string; password: string }): MosquittoAccount => ({
      username,
      passwordHash: stableMqttPasswordHash(username, password),
    });
    this.services = { gateway: hashed(gateway), booking: hashed(booking), liveMap: hashed(liveMap) };
  }

  get enabled(): boolean {
    return Boolean(this.config.MOSQUITTO_AUTH_DIR && this.config.MQTT_URL);
  }

  /** Writes the files once (before the gateway connects: its own account is in them), then keeps them. */
  async start(): Promise<void> {
    if (!this.enabled) return;
    await this.task.runOnce();
    this.task.start(this.config.MOSQUITTO_AUTH_SYNC_S * 1000);
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }

  /** Brings the files up to date; true when one changed. */
  async write(): Promise<boolean> {
    const dir = this.config.MOSQUITTO_AUTH_DIR!;
    const vehicles = await this.accounts.all();
    const files = mosquittoAuthFiles(this.config.MQTT_TOPIC_PREFIX, this.services, vehicles);
    const listening = this.ingest.connected;
    await mkdir(dir, { recursive: true });
    let changed = false;
    // Rules before accounts: should the broker reload between two files, a car it lets in must
    // already have its ACL, or everything it publishes would be acknowledged and dropped.
    const rulesFirst = Object.entries(files).sort(
      ([a], [b]) => Number(b.endsWith('.acl')) - Number(a.endsWith('.acl')),
    );
    for (const [name, content] of rulesFirst) {
      if (name.startsWith('vehicles.') && !listening) continue;
      const path = join(dir, name);
      if ((await readFile(path, 'utf8').catch(() => null)) === content) continue;
      // Readable by the broker through the group (docker/mosquitto/run.sh gives the folder's group to
      // the broker's user), by nobody else: the hashes are salted, but offline guessing needs none.
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, content, { mode: 0o640 });
      await chmod(temporary, 0o640); // whatever the umask
      await rename(temporary, path);
      changed = true;
    }
    if (changed) this.logger.log(`Mosquitto account files written: ${vehicles.length} vehicle(s)`);
    return changed;
  }
}
