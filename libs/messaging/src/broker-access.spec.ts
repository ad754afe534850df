import { mayPublish, maySubscribe } from './broker-access';
import { mosquittoAuthFiles } from './mosquitto-auth';

const car = { kind: 'vehicle', vehicleId: 'car-1' } as const;
const service = { kind: 'service' } as const;

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

  it('lets the services publish and subscribe anywhere', () => {
    expect(mayPublish('fleet/v1', service, 'fleet/v1/vehicles/car-1/commands')).toBe(true);
    expect(maySubscribe('fleet/v1', service, '#')).toBe(true);
  });
});

describe('Mosquitto account files', () => {
  const files = mosquittoAuthFiles('fleet/v1', { username: 'fleet-service', passwordHash: '$7$101$s$h' }, [
    { username: 'car-2', passwordHash: '$7$101$b$2' },
    { username: 'car-1', passwordHash: '$7$101$a$1' },
  ]);

  it('lists each vehicle once, sorted, so the same fleet writes the same bytes', () => {
    expect(files['vehicles.passwd']).toBe('car-1:$7$101$a$1\ncar-2:$7$101$b$2\n');
    expect(files['services.passwd']).toBe('fleet-service:$7$101$s$h\n');
  });

  it('gives cars their own topics under the prefix and the services everything', () => {
    const rules = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(rules(files['vehicles.acl'])).toEqual([
      'pattern write fleet/v1/vehicles/%u/telemetry',
      'pattern write fleet/v1/vehicles/%u/status',
      'pattern write fleet/v1/vehicles/%u/command-results',
      'pattern read fleet/v1/vehicles/%u/commands',
    ]);
    expect(rules(files['services.acl'])).toEqual([
      'user fleet-service',
      'topic readwrite #',
      'topic read $SYS/#',
    ]);
  });
});
