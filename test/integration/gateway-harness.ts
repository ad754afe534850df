import { SimulatedCar } from '@fleet/simulator';
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  MosquittoInstance,
  ServiceProcess,
  startMosquitto,
  startService,
  startTcpProxy,
  TcpProxy,
  TestDatabase,
  TEST_VEHICLE_PASSWORD,
  waitFor,
} from '@fleet/testing';
import { randomBytes } from 'node:crypto';

/** A gateway process on its own database and its own Mosquitto, with simulated cars. */
export class GatewayHarness {
  db!: TestDatabase;
  broker!: MosquittoInstance;
  gateway!: ServiceProcess;
  readonly cars: SimulatedCar[] = [];
  /** Between the gateway and PostgreSQL when started with `databaseProxy`: cut it for an outage. */
  dbProxy?: TcpProxy;
  env: Record<string, string> = {};
  private gatewayPort = 0;

  /** Starts database, broker and gateway; `env` adds gateway settings. */
  async start(env: Record<string, string> = {}, options: { databaseProxy?: boolean } = {}): Promise<this> {
    this.db = await createTestDatabase();
    if (options.databaseProxy) {
      const server = new URL(this.db.url);
      this.dbProxy = await startTcpProxy(server.hostname, Number(server.port || 5432));
    }
    this.broker = await startMosquitto();
    this.gatewayPort = await freePort();
    this.env = {
      DATABASE_URL: this.dbProxy?.via(this.db.url) ?? this.db.url,
      MQTT_URL: this.broker.url,
      GATEWAY_INSTANCE_ID: `t${randomBytes(4).toString('hex')}`,
      GATEWAY_MQTT_CONNECTIONS: '8',
      ...env,
    };
    await this.startGateway();
    return this;
  }

  async startGateway(): Promise<ServiceProcess> {
    this.gateway = await startService('telemetry-gateway', this.gatewayPort, this.env);
    return this.gateway;
  }

  async registerCars(ids: string[], position = { lat: 52.52, lon: 13.405 }): Promise<SimulatedCar[]> {
    await insertVehicles(this.db.client, ids);
    const cars = ids.map(
      (vehicleId) =>
        new SimulatedCar({ url: this.broker.url, vehicleId, password: TEST_VEHICLE_PASSWORD, ...position }),
    );
    await Promise.all(cars.map((c) => c.connect()));
    this.cars.push(...cars);
    return cars;
  }

  async query<T extends object = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.client.query<T>(sql, params)).rows;
  }

  /**
   * Waits until `sql` returns a first row whose first column equals `expected`. The default wait is
   * long because it costs nothing when the value comes: on the shared 2-core CI machine, with parallel
   * test files cloning databases and fuzzing a gateway, a sample once took over 10 s to be stored
   * (telemetry-ingest, 2026-11-21; the cause was not found).
   */
  async waitForValue(sql: string, params: unknown[], expected: unknown, timeoutMs = 30_000): Promise<void> {
    let last: unknown;
    await waitFor(
      async () => {
        const rows = await this.query(sql, params);
        last = rows[0] ? Object.values(rows[0])[0] : undefined;
        return last === expected;
      },
      timeoutMs,
      `${sql} = ${String(expected)}`,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last value ${String(last)})`);
    });
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.gateway.baseUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.cars.map((c) => c.disconnect().catch(() => undefined)));
    await this.gateway?.kill('SIGTERM');
    await this.broker?.stop();
    await this.dbProxy?.close();
    await this.db?.drop();
  }
}
