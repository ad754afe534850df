import { SEND_COMMAND_PATTERN, SendCommandResponse } from '@fleet/messaging';
import { SimulatedCar } from '@fleet/simulator';
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  ServiceProcess,
  startService,
  TestDatabase,
  TEST_SERVICE_ACCOUNT,
  TEST_VEHICLE_PASSWORD,
} from '@fleet/testing';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';

/** With no MQTT_URL the gateway embeds its own broker (aedes): nothing but PostgreSQL needed. */
describe('gateway with the embedded broker', () => {
  let db: TestDatabase;
  let gateway: ServiceProcess;
  let mqttUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const mqttPort = await freePort();
    mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    gateway = await startService('telemetry-gateway', await freePort(), {
      DATABASE_URL: db.url,
      MQTT_PORT: String(mqttPort),
      MQTT_URL: '',
    });
    await insertVehicles(db.client, ['emb-1']);
  });
  afterAll(async () => {
    await gateway.kill('SIGTERM');
    await db.drop();
  });

  it('acknowledges a car only after its sample is committed', async () => {
    const car = new SimulatedCar({
      url: mqttUrl,
      vehicleId: 'emb-1',
      password: TEST_VEHICLE_PASSWORD,
      lat: 50.11,
      lon: 8.68,
    });
    await car.connect();
    // The broker's PUBACK to the car waits for the gateway's commit: once publish resolves, the row exists.
    for (let i = 0; i < 20; i++) {
      const sample = await car.publishSample({ ts: Date.now() - 1000 + i });
      const { rows } = await db.client.query(
        `SELECT 1 FROM telemetry WHERE vehicle_id = 'emb-1' AND seq = $1`,
        [sample.seq],
      );
      expect(rows).toHaveLength(1);
    }
    const rpc = ClientProxyFactory.create({
      transport: Transport.MQTT,
      options: { url: mqttUrl, ...TEST_SERVICE_ACCOUNT },
    });
    const response = await firstValueFrom(
      rpc.send<SendCommandResponse>(SEND_COMMAND_PATTERN, { vehicleId: 'emb-1', type: 'unlock' }),
    );
    expect(response).toMatchObject({ command: { status: 'succeeded' } });
    expect(car.locked).toBe(false);
    await rpc.close();
    await car.disconnect();
  });
});
