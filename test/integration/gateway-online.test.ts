import { waitFor } from '@fleet/testing';
import { GatewayHarness } from './gateway-harness';

/** Online/offline from the retained status topic, the will message and the silence timeout. */
describe('vehicle online/offline (gateway process, Mosquitto, PostGIS)', () => {
  const h = new GatewayHarness();

  beforeAll(() => h.start({ VEHICLE_SILENCE_TIMEOUT_S: '3', VEHICLE_SILENCE_CHECK_S: '1' }));
  afterAll(() => h.stop());

  const stateOf = async (id: string) =>
    (
      await h.query<{ online: boolean; state: string }>(
        `SELECT online, state FROM vehicle_state WHERE vehicle_id = $1`,
        [id],
      )
    )[0];
  const eventsOf = async (id: string) =>
    (
      await h.query<{ event_type: string; state_from: string; state_to: string }>(
        `SELECT event_type, state_from, state_to FROM vehicle_events WHERE vehicle_id = $1 ORDER BY id`,
        [id],
      )
    ).map((e) => `${e.event_type}:${e.state_from}->${e.state_to}`);

  it('a registered car is offline until it connects, then available', async () => {
    const [car] = await h.registerCars(['will-1']);
    await waitFor(async () => (await stateOf('will-1')).online, 10_000, 'car online');
    expect(await stateOf('will-1')).toEqual({ online: true, state: 'available' });
    expect(await eventsOf('will-1')).toEqual(['comms_restored:non_contactable->available']);

    // A car losing power: no DISCONNECT, the broker publishes its will.
    await car.dropConnection();
    await waitFor(async () => !(await stateOf('will-1')).online, 10_000, 'car offline by will');
    expect(await stateOf('will-1')).toEqual({ online: false, state: 'non_contactable' });

    // It comes back: the state it had before is restored.
    await car.connect();
    await waitFor(async () => (await stateOf('will-1')).online, 10_000, 'car back online');
    expect(await stateOf('will-1')).toEqual({ online: true, state: 'available' });
    expect(await eventsOf('will-1')).toEqual([
      'comms_restored:non_contactable->available',
      'comms_lost:available->non_contactable',
      'comms_restored:non_contactable->available',
    ]);
  });

  it('a car that falls silent without a will goes offline after the silence timeout, and telemetry brings it back', async () => {
    const [car] = await h.registerCars(['quiet-1']);
    await car.publishSample();
    await waitFor(async () => (await stateOf('quiet-1')).online, 10_000, 'online');
    // The car keeps its connection but sends nothing (a box whose modem hangs): 3 s timeout.
    await waitFor(async () => !(await stateOf('quiet-1')).online, 10_000, 'offline by timeout');
    const [lost] = await h.query<{ details: { reason: string } }>(
      `SELECT details FROM vehicle_events WHERE vehicle_id = 'quiet-1' AND event_type = 'comms_lost'`,
    );
    expect(lost.details.reason).toBe('silence timeout');

    await car.publishSample();
    await waitFor(async () => (await stateOf('quiet-1')).online, 10_000, 'online again by telemetry');
    expect((await stateOf('quiet-1')).state).toBe('available');
    expect((await eventsOf('quiet-1')).slice(-1)).toEqual(['comms_restored:non_contactable->available']);
  });

  it('a car offline during maintenance comes back to non_operational, not available', async () => {
    const [car] = await h.registerCars(['maint-1']);
    await waitFor(async () => (await stateOf('maint-1')).online, 10_000, 'online');
    await h.query(`UPDATE vehicle_state SET state = 'non_operational' WHERE vehicle_id = 'maint-1'`);
    await car.dropConnection();
    await waitFor(async () => !(await stateOf('maint-1')).online, 10_000, 'offline');
    await car.connect();
    await waitFor(async () => (await stateOf('maint-1')).online, 10_000, 'online again');
    expect((await stateOf('maint-1')).state).toBe('non_operational');
  });

  it('a malformed status message is quarantined, not acted on', async () => {
    const [car] = await h.registerCars(['status-bad']);
    await waitFor(async () => (await stateOf('status-bad')).online, 10_000, 'online');
    await car.publishRaw('{"online":"nope"}', car.topic('status'));
    await h.waitForValue(
      `SELECT count(*)::int FROM telemetry_quarantine WHERE vehicle_id = 'status-bad' AND reason = 'SCHEMA_VIOLATION'`,
      [],
      1,
    );
    expect((await stateOf('status-bad')).online).toBe(true);
  });
});
