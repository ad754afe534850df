import { SEND_COMMAND_PATTERN, SendCommandRequest, SendCommandResponse } from '@fleet/messaging';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { waitFor } from '@fleet/testing';
import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { GatewayHarness } from './gateway-harness';

/** The gateway's command API, driven as the booking service drives it (Nest MQTT request-response). */
describe('commands (gateway process, Mosquitto, simulated cars)', () => {
  const h = new GatewayHarness();
  let rpc: ClientProxy;

  beforeAll(async () => {
    await h.start();
    rpc = ClientProxyFactory.create({ transport: Transport.MQTT, options: { url: h.broker.url } });
    await rpc.connect();
  });
  afterAll(async () => {
    await rpc.close();
    await h.stop();
  });

  const send = (request: SendCommandRequest) =>
    firstValueFrom(rpc.send<SendCommandResponse>(SEND_COMMAND_PATTERN, request));
  const commandRow = async (id: string) =>
    (
      await h.query<{ status: string; sent_at: Date | null; completed_at: Date | null }>(
        `SELECT * FROM vehicle_commands WHERE id = $1`,
        [id],
      )
    )[0];

  it('round trip: unlock reaches the car, the car obeys, the command succeeds', async () => {
    const [car] = await h.registerCars(['cmd-1']);
    expect(car.locked).toBe(true);
    const response = await send({ vehicleId: 'cmd-1', type: 'unlock', requestedBy: 'test' });
    if (!('command' in response)) throw new Error(JSON.stringify(response));
    expect(response.command).toMatchObject({
      vehicleId: 'cmd-1',
      type: 'unlock',
      status: 'succeeded',
      requestedBy: 'test',
    });
    expect(car.locked).toBe(false);
    const [received] = car.receivedCommands;
    expect(received).toMatchObject({ commandId: response.command.id, type: 'unlock' });
    expect(Date.parse(received.expiresAt) - Date.parse(received.issuedAt)).toBe(30_000);
    const row = await commandRow(response.command.id);
    expect(row.status).toBe('succeeded');
    expect(row.sent_at).not.toBeNull();
    expect(row.completed_at).not.toBeNull();
  });

  it('refuses immobilize for a moving car without sending it', async () => {
    const [car] = await h.registerCars(['cmd-moving']);
    car.speedKmh = 42;
    const sample = await car.publishSample();
    await h.waitForValue(
      `SELECT seq::int FROM vehicle_state WHERE vehicle_id = 'cmd-moving'`,
      [],
      sample.seq,
    );
    const response = await send({ vehicleId: 'cmd-moving', type: 'immobilize' });
    if (!('command' in response)) throw new Error(JSON.stringify(response));
    expect(response.command).toMatchObject({ status: 'rejected', reason: 'VEHICLE_MOVING', sentAt: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(car.receivedCommands).toHaveLength(0);
  });

  it('immobilize reaches a parked car', async () => {
    const [car] = await h.registerCars(['cmd-parked']);
    const sample = await car.publishSample({ speedKmh: 0 });
    await h.waitForValue(
      `SELECT seq::int FROM vehicle_state WHERE vehicle_id = 'cmd-parked'`,
      [],
      sample.seq,
    );
    const response = await send({ vehicleId: 'cmd-parked', type: 'immobilize' });
    expect(response).toMatchObject({ command: { status: 'succeeded' } });
  });

  it('records the car refusing a command as rejected, with its reason', async () => {
    const [car] = await h.registerCars(['cmd-refuse']);
    car.commandBehaviour = 'refuse';
    const response = await send({ vehicleId: 'cmd-refuse', type: 'lock' });
    expect(response).toMatchObject({ command: { status: 'rejected', reason: 'refused by the car' } });
  });

  it('expires a command the car never answers', async () => {
    const [car] = await h.registerCars(['cmd-silent']);
    car.commandBehaviour = 'ignore';
    const started = Date.now();
    const response = await send({ vehicleId: 'cmd-silent', type: 'honk', ttlMs: 1500 });
    expect(response).toMatchObject({ command: { status: 'expired' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(car.receivedCommands).toHaveLength(1);
    // A result arriving after the expiry does not reopen it.
    await car.publishRaw(
      JSON.stringify({ commandId: car.receivedCommands[0].commandId, status: 'succeeded', ts: Date.now() }),
      car.topic('command-results'),
    );
    await new Promise((r) => setTimeout(r, 300));
    if (!('command' in response)) throw new Error('no command');
    expect((await commandRow(response.command.id)).status).toBe('expired');
  });

  it('a car ignores a command that reaches it already expired and says so', async () => {
    const [car] = await h.registerCars(['cmd-offline']);
    await car.disconnect();
    // Queued at the broker for the car's session? The car uses a clean session: the command is lost
    // to it and expires on the platform; when a car does get an expired command it rejects it.
    const response = await send({ vehicleId: 'cmd-offline', type: 'unlock', ttlMs: 1000 });
    expect(response).toMatchObject({ command: { status: 'expired' } });
  });

  it('answers errors for an unknown vehicle and an invalid type', async () => {
    expect(await send({ vehicleId: 'nope-1', type: 'unlock' })).toEqual({
      error: { code: 'VEHICLE_NOT_FOUND', message: 'no vehicle nope-1' },
    });
    expect(await send({ vehicleId: 'cmd-1', type: 'explode' as never })).toMatchObject({
      error: { code: 'INVALID_COMMAND' },
    });
  });

  it('a result from another car cannot complete a command', async () => {
    const [target, intruder] = await h.registerCars(['cmd-target', 'cmd-intruder']);
    target.commandBehaviour = 'ignore';
    const pending = send({ vehicleId: 'cmd-target', type: 'unlock', ttlMs: 2000 });
    await new Promise((r) => setTimeout(r, 500));
    const commandId = target.receivedCommands[0].commandId;
    await intruder.publishRaw(
      JSON.stringify({ commandId, status: 'succeeded', ts: Date.now() }),
      intruder.topic('command-results'),
    );
    expect(await pending).toMatchObject({ command: { status: 'expired' } });
  });

  it("numbers each car's commands with a rising counter of its own", async () => {
    const [first, second] = await h.registerCars(['cmd-count-1', 'cmd-count-2']);
    await send({ vehicleId: 'cmd-count-1', type: 'honk' });
    await send({ vehicleId: 'cmd-count-2', type: 'honk' });
    await Promise.all([
      send({ vehicleId: 'cmd-count-1', type: 'locate' }),
      send({ vehicleId: 'cmd-count-1', type: 'lock' }),
    ]);
    expect(first.receivedCommands.map((c) => c.counter).sort()).toEqual([1, 2, 3]);
    expect(second.receivedCommands.map((c) => c.counter)).toEqual([1]);
  });

  it('the car refuses replayed, out-of-order and expired commands, and stays as it was', async () => {
    const [car] = await h.registerCars(['cmd-replay']);
    // An unlock the car never took (it was not listening to commands then): it expires.
    car.commandBehaviour = 'ignore';
    expect(await send({ vehicleId: 'cmd-replay', type: 'unlock', ttlMs: 1000 })).toMatchObject({
      command: { status: 'expired' },
    });
    car.commandBehaviour = 'obey';
    expect(await send({ vehicleId: 'cmd-replay', type: 'lock' })).toMatchObject({
      command: { status: 'succeeded' },
    });
    const [unlock, lock] = car.receivedCommands;
    expect([unlock.counter, lock.counter]).toEqual([1, 2]);

    // Someone on the broker sends captured commands again, with a fresh expiry where it helps.
    const results: { commandId: string; status: string; reason?: string }[] = [];
    const replayer = await mqtt.connectAsync(h.broker.url, { clientId: 'fleet.test-replayer' });
    replayer.on('message', (_t, p) => results.push(JSON.parse(p.toString()) as (typeof results)[0]));
    await replayer.subscribeAsync(car.topic('command-results'), { qos: 1 });
    const fresh = new Date(Date.now() + 30_000).toISOString();
    const attacks = [
      { ...lock, expiresAt: fresh },
      { ...unlock, expiresAt: fresh },
      {
        ...unlock,
        commandId: randomUUID(),
        counter: 99,
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      },
    ];
    for (const a of attacks)
      await replayer.publishAsync(car.topic('commands'), JSON.stringify(a), { qos: 1 });
    await waitFor(() => results.length >= 3, 5000, 'the car answering all three');
    await replayer.endAsync();

    expect(results.map((r) => [r.commandId, r.status, r.reason])).toEqual([
      [lock.commandId, 'rejected', 'replayed'],
      [unlock.commandId, 'rejected', 'out of order'],
      [attacks[2].commandId, 'rejected', 'expired'],
    ]);
    expect(car.locked).toBe(true);
  });
});
