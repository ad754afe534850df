import { mayPublish, maySubscribe } from './broker-access';
import { mosquittoAuthFiles } from './mosquitto-auth';

const car = { kind: 'vehicle', vehicleId: 'car-1' } as const;
const gateway = { kind: 'service', service: 'gateway' } as const;
const booking = { kind: 'service', service: 'booking' } as const;
const liveMap = { kind: 'service', service: 'liveMap' } as const;

describe('broker access rules', () => {
  it.each([
    ['fleet/v1/vehicles/car-1/telemetry', true],
    ['fleet/v1/vehicles/car-1/status', true],
    ['fleet/v1/vehicles/car-1/command-results', true],
    ['fleet/v1/vehicles/car-1/commands', false],
    ['fleet/v1/vehicles/car-2/telemetry', false],
    ['fleet/v1/vehicles/car-1/telemetry/extra', false],
    ['fleet/v1/vehicles/car-1', false],
    ['fleet-internal/v1/vehicle-changes', false],
    ['other/v1/vehicles/car-1/telemetry', false],
  ])('a car publishing on %s: %s', (topic, allowed) => {
    expect(mayPublish('fleet/v1', car, topic)).toBe(allowed);
  });

  it.each([
    ['fleet/v1/vehicles/car-1/commands', true],
    ['fleet/v1/vehicles/car-2/commands', false],
    ['fleet/v1/vehicles/+/commands', false],
    ['fleet/v1/vehicles/car-1/#', false],
    ['#', false],
    ['fleet/v1/vehicles/car-1/telemetry', false],
  ])('a car subscribing to %s: %s', (filter, allowed) => {
    expect(maySubscribe('fleet/v1', car, filter)).toBe(allowed);
  });

  it('lets the gateway publish and subscribe anywhere', () => {
    expect(mayPublish('fleet/v1', gateway, 'fleet/v1/vehicles/car-1/commands')).toBe(true);
    expect(maySubscribe('fleet/v1', gateway, '#')).toBe(true);
  });

  it('lets booking ask for commands and follow the state stream, never reach a car', () => {
    expect(mayPublish('fleet/v1', booking, 'fleet-internal/v1/commands/send')).toBe(true);
    expect(mayPublish('fleet/v1', booking, 'fleet-internal/v1/vehicle-changes')).toBe(true);
    expect(maySubscribe('fleet/v1', booking, 'fleet-internal/v1/commands/send/reply')).toBe(true);
    expect(maySubscribe('fleet/v1', booking, 'fleet-internal/v1/vehicle-changes')).toBe(true);
    expect(mayPublish('fleet/v1', booking, 'fleet/v1/vehicles/car-1/commands')).toBe(false);
    expect(maySubscribe('fleet/v1', booking, 'fleet/v1/vehicles/+/telemetry')).toBe(false);
    expect(maySubscribe('fleet/v1', booking, 'fleet-internal/v1/#')).toBe(false);
    expect(maySubscribe('fleet/v1', booking, '#')).toBe(false);
  });

  it('lets the live map only read the state stream', () => {
    expect(maySubscribe('fleet/v1', liveMap, 'fleet-internal/v1/vehicle-changes')).toBe(true);
    expect(mayPublish('fleet/v1', liveMap, 'fleet-internal/v1/vehicle-changes')).toBe(false);
    expect(mayPublish('fleet/v1', liveMap, 'fleet-internal/v1/commands/send')).toBe(false);
    expect(maySubscribe('fleet/v1', liveMap, 'fleet-internal/v1/commands/send/reply')).toBe(false);
    expect(maySubscribe('fleet/v1', liveMap, 'fleet/v1/vehicles/car-1/commands')).toBe(false);
  });
});

describe('Mosquitto account files', () => {
  const services = {
    gateway: { username: 'fleet-gateway', passwordHash: '$7$101$g$h' },
    booking: { username: 'fleet-booking', passwordHash: '$7$101$b$h' },
    liveMap: { username: 'fleet-live-map', passwordHash: '$7$101$l$h' },
  };
  const files = mosquittoAuthFiles('fleet/v1', services, [
    { username: 'car-2', passwordHash: '$7$101$b$2' },
    { username: 'car-1', passwordHash: '$7$101$a$1' },
  ]);

  it('lists each vehicle once, sorted, so the same fleet writes the same bytes', () => {
    expect(files['vehicles.passwd']).toBe('car-1:$7$101$a$1\ncar-2:$7$101$b$2\n');
    expect(files['services.passwd']).toBe(
      'fleet-gateway:$7$101$g$h\nfleet-booking:$7$101$b$h\nfleet-live-map:$7$101$l$h\n',
    );
  });

  it('gives cars their own topics under the prefix and each service its own rules', () => {
    const rules = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(rules(files['vehicles.acl'])).toEqual([
      'pattern write fleet/v1/vehicles/%u/telemetry',
      'pattern write fleet/v1/vehicles/%u/status',
      'pattern write fleet/v1/vehicles/%u/command-results',
      'pattern read fleet/v1/vehicles/%u/commands',
    ]);
    expect(rules(files['services.acl'])).toEqual([
      'user fleet-gateway',
      'topic readwrite #',
      'topic read $SYS/#',
      'user fleet-booking',
      'topic write fleet-internal/v1/#',
      'topic read fleet-internal/v1/commands/send/reply',
      'topic read fleet-internal/v1/vehicle-changes',
      'user fleet-live-map',
      'topic read fleet-internal/v1/vehicle-changes',
    ]);
  });
});
