import { hashMqttPassword } from '@fleet/domain';
import { BrokerAuthenticator } from './broker-authenticator';

const CAR_PASSWORD = 'car-secret-123';
const HASH = hashMqttPassword(CAR_PASSWORD);

/** An authenticator over a fixed set of stored hashes, counting the lookups it makes. */
function setup(stored: Record<string, string> = { 'car-1': HASH, 'car-2': HASH }) {
  const lookups: string[][] = [];
  let failing = false;
  const authenticator = new BrokerAuthenticator(
    async (usernames) => {
      lookups.push([...usernames]);
      if (failing) throw new Error('database unreachable');
      return new Map(usernames.filter((u) => stored[u]).map((u) => [u, stored[u]]));
    },
    {
      MQTT_GATEWAY_PASSWORD: 'gateway-password-16',
      MQTT_BOOKING_PASSWORD: 'booking-password-16',
      MQTT_LIVE_MAP_PASSWORD: 'live-map-password-16',
    },
  );
  return { authenticator, lookups, fail: (on: boolean) => (failing = on) };
}
const pw = (s: string) => Buffer.from(s);

describe('BrokerAuthenticator', () => {
  it('proves a car by its stored hash and the services by their account', async () => {
    const { authenticator } = setup();
    await expect(authenticator.authenticate('car-1', pw(CAR_PASSWORD))).resolves.toEqual({
      kind: 'vehicle',
      vehicleId: 'car-1',
    });
    await expect(authenticator.authenticate('fleet-gateway', pw('gateway-password-16'))).resolves.toEqual({
      kind: 'service',
      service: 'gateway',
    });
    await expect(authenticator.authenticate('fleet-live-map', pw('live-map-password-16'))).resolves.toEqual({
      kind: 'service',
      service: 'liveMap',
    });
    // One service's password proves no other service.
    await expect(authenticator.authenticate('fleet-gateway', pw('booking-password-16'))).resolves.toBeNull();
  });

  it('proves nothing for a wrong password, an unknown car, no credentials or a car password on the service account', async () => {
    const { authenticator } = setup();
    for (const [username, password] of [
      ['car-1', pw('guess')],
      ['car-9', pw(CAR_PASSWORD)],
      [undefined, undefined],
      ['car-1', undefined],
      ['fleet-gateway', pw(CAR_PASSWORD)],
    ] as const) {
      await expect(authenticator.authenticate(username, password)).resolves.toBeNull();
    }
  });

  it('looks up a connection storm in one query and serves reconnects from memory', async () => {
    const { authenticator, lookups } = setup();
    const storm = ['car-1', 'car-2', 'car-1', 'car-9'].map((u) =>
      authenticator.authenticate(u, pw(CAR_PASSWORD)),
    );
    expect((await Promise.all(storm)).map((w) => w?.kind ?? null)).toEqual([
      'vehicle',
      'vehicle',
      'vehicle',
      null,
    ]);
    expect(lookups).toEqual([['car-1', 'car-2', 'car-9']]);
    await authenticator.authenticate('car-2', pw(CAR_PASSWORD));
    expect(lookups).toHaveLength(1);
  });

  it('rejects (server unavailable, not bad credentials) while the database cannot be read', async () => {
    const { authenticator, fail } = setup();
    fail(true);
    await expect(authenticator.authenticate('car-1', pw(CAR_PASSWORD))).rejects.toThrow(
      'database unreachable',
    );
    fail(false);
    await expect(authenticator.authenticate('car-1', pw(CAR_PASSWORD))).resolves.toMatchObject({
      kind: 'vehicle',
    });
  });
});
