import fc from 'fast-check';
import {
  DEFAULT_TOPIC_PREFIX,
  parseVehicleTopic,
  VEHICLE_ID_PATTERN,
  VehicleChannel,
  vehicleTopic,
  vehicleTopicFilter,
} from '@fleet/contracts';

const CHANNELS: VehicleChannel[] = ['telemetry', 'status', 'commands', 'command-results'];

describe('vehicle topics', () => {
  it('uses the contract prefix fleet/v1 by default', () => {
    expect(DEFAULT_TOPIC_PREFIX).toBe('fleet/v1');
  });

  it.each(CHANNELS)('builds the %s topic of one vehicle', (channel) => {
    expect(vehicleTopic('fleet/v1', 'car-1', channel)).toBe(`fleet/v1/vehicles/car-1/${channel}`);
  });

  it.each(CHANNELS)('builds the %s subscription filter for every vehicle', (channel) => {
    expect(vehicleTopicFilter('fleet/v1', channel)).toBe(`fleet/v1/vehicles/+/${channel}`);
  });

  it('uses a configured prefix', () => {
    expect(vehicleTopic('acme/cars/v2', 'B-XY-123', 'telemetry')).toBe(
      'acme/cars/v2/vehicles/B-XY-123/telemetry',
    );
    expect(vehicleTopicFilter('acme/cars/v2', 'status')).toBe('acme/cars/v2/vehicles/+/status');
  });

  describe('parseVehicleTopic', () => {
    it.each<[string, string, VehicleChannel]>([
      ['fleet/v1/vehicles/car-1/telemetry', 'car-1', 'telemetry'],
      ['fleet/v1/vehicles/car-1/status', 'car-1', 'status'],
      ['fleet/v1/vehicles/car-1/commands', 'car-1', 'commands'],
      ['fleet/v1/vehicles/car-1/command-results', 'car-1', 'command-results'],
      ['fleet/v1/vehicles/A/telemetry', 'A', 'telemetry'],
      ['fleet/v1/vehicles/0_car_/telemetry', '0_car_', 'telemetry'],
      ['fleet/v1/vehicles/car-/telemetry', 'car-', 'telemetry'],
      [`fleet/v1/vehicles/${'a'.repeat(64)}/telemetry`, 'a'.repeat(64), 'telemetry'],
    ])('reads %s', (topic, vehicleId, channel) => {
      expect(parseVehicleTopic('fleet/v1', topic)).toEqual({ vehicleId, channel });
    });

    it.each<[string, string]>([
      ['an empty id', 'fleet/v1/vehicles//telemetry'],
      ['an id starting with -', 'fleet/v1/vehicles/-car/telemetry'],
      ['an id starting with _', 'fleet/v1/vehicles/_car/telemetry'],
      ['an id of 65 characters', `fleet/v1/vehicles/${'a'.repeat(65)}/telemetry`],
      ['an id with a space', 'fleet/v1/vehicles/car 1/telemetry'],
      ['an id with a dot', 'fleet/v1/vehicles/car.1/telemetry'],
      ['an id with a non-ASCII letter', 'fleet/v1/vehicles/carä/telemetry'],
      ['an id with /', 'fleet/v1/vehicles/car/1/telemetry'],
      ['a wildcard id +', 'fleet/v1/vehicles/+/telemetry'],
      ['a wildcard id #', 'fleet/v1/vehicles/#'],
      ['a wrong prefix', 'fleet/v2/vehicles/car-1/telemetry'],
      ['a longer prefix segment', 'fleet/v10/vehicles/car-1/telemetry'],
      ['no prefix', 'vehicles/car-1/telemetry'],
      ['a prefix in the middle', 'x/fleet/v1/vehicles/car-1/telemetry'],
      ['a wrong collection', 'fleet/v1/vehicle/car-1/telemetry'],
      ['an unknown channel', 'fleet/v1/vehicles/car-1/position'],
      ['a channel in the wrong case', 'fleet/v1/vehicles/car-1/Telemetry'],
      ['no channel', 'fleet/v1/vehicles/car-1'],
      ['an empty channel', 'fleet/v1/vehicles/car-1/'],
      ['an extra level after the channel', 'fleet/v1/vehicles/car-1/telemetry/extra'],
      ['a trailing slash', 'fleet/v1/vehicles/car-1/telemetry/'],
      ['an empty topic', ''],
    ])('refuses a topic with %s', (_name, topic) => {
      expect(parseVehicleTopic('fleet/v1', topic)).toBeNull();
    });

    it('reads topics under a configured prefix only', () => {
      expect(parseVehicleTopic('acme/v2', 'acme/v2/vehicles/car-1/status')).toEqual({
        vehicleId: 'car-1',
        channel: 'status',
      });
      expect(parseVehicleTopic('acme/v2', 'fleet/v1/vehicles/car-1/status')).toBeNull();
    });

    it('reads back every topic vehicleTopic builds for a valid id', () => {
      fc.assert(
        fc.property(
          fc.stringMatching(VEHICLE_ID_PATTERN),
          fc.constantFrom(...CHANNELS),
          (vehicleId, channel) => {
            expect(parseVehicleTopic('fleet/v1', vehicleTopic('fleet/v1', vehicleId, channel))).toEqual({
              vehicleId,
              channel,
            });
          },
        ),
      );
    });

    it('refuses every id the contract pattern refuses', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'binary', maxLength: 80 }).filter((id) => !VEHICLE_ID_PATTERN.test(id)),
          fc.constantFrom(...CHANNELS),
          (vehicleId, channel) => {
            expect(parseVehicleTopic('fleet/v1', `fleet/v1/vehicles/${vehicleId}/${channel}`)).toBeNull();
          },
        ),
      );
    });
  });
});
