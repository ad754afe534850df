import { type CommandType, VEHICLE_ID_PATTERN } from '@fleet/contracts';
import { newMqttPassword, VehicleState } from '@fleet/domain';
import { trackFeature, TrackFeature } from '@fleet/geo';
import { CommandView } from '@fleet/messaging';
import { Injectable } from '@nestjs/common';
import { Caller, COMMAND_PERMISSIONS } from '@fleet/auth';
import { VehicleCommander } from '../commands/vehicle-commander';
import { ApiError, notFound } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';
import { HistoryRepository } from '../history/history.repository';
import { FleetStateRepository, StateStep } from './fleet-state.repository';
import { NewVehicle, OperationalStatus, VehicleRow, VehiclesRepository } from './vehicles.repository';

/** CONTRACT.md 2.5: a vehicle with its latest state; optional reports left out when the car sends none. */
export interface VehicleDetails {
  id: string;
  plate: string;
  model: string;
  propulsion: string;
  vehicleTypeId: string | null;
  operationalStatus: OperationalStatus;
  state: VehicleState;
  online: boolean;
  lat: number | null;
  lon: number | null;
  lastFixAt: string | null;
  lastSeenAt: string | null;
  locked: boolean | null;
  ignition?: boolean;
  doorsClosed?: boolean;
  fuelPct?: number;
  batteryPct?: number;
  rangeKm?: number;
  speedKmh?: number;
  heading?: number;
  odometerKm?: number;
}

const OPTIONAL = [
  'ignition',
  'doorsClosed',
  'fuelPct',
  'batteryPct',
  'rangeKm',
  'speedKmh',
  'heading',
  'odometerKm',
] as const;

function details(r: VehicleRow): VehicleDetails {
  const out: VehicleDetails = {
    id: r.id,
    plate: r.plate,
    model: r.model,
    propulsion: r.propulsion,
    vehicleTypeId: r.vehicleTypeId,
    operationalStatus: r.operationalStatus,
    state: r.state,
    online: r.online,
    lat: r.lat,
    lon: r.lon,
    lastFixAt: r.lastFixAt?.toISOString() ?? null,
    lastSeenAt: r.lastSeenAt?.toISOString() ?? null,
    locked: r.locked,
  };
  for (const k of OPTIONAL) if (r[k] !== null) Object.assign(out, { [k]: r[k] });
  return out;
}

/**
 * How a car's MDS state follows its operational status, from the state it is in (or, offline, the
 * one it returns to). Cars in a driver's hands are not taken away: see `setOperationalStatus`.
 */
const STATUS_PATHS: Record<OperationalStatus, Partial<Record<VehicleState, StateStep[]>>> = {
  active: {
    non_operational: [['service_start', 'available']],
    removed: [
      ['recommissioned', 'non_operational'],
      ['service_start', 'available'],
    ],
  },
  maintenance: {
    available: [['service_end', 'non_operational']],
    removed: [['recommissioned', 'non_operational']],
  },
  removed: {
    available: [
      ['service_end', 'non_operational'],
      ['decommissioned', 'removed'],
    ],
    non_operational: [['decommissioned', 'removed']],
  },
};
const IN_USE: readonly VehicleState[] = ['reserved', 'on_trip', 'stopped'];

/**
 * 404 for an unknown vehicle. An id outside VEHICLE_ID_PATTERN (the vehicles table's CHECK) names
 * none and is answered so without a query, as the UUID_PATTERN check does for reservations and trips.
 */
const vehicleNotFound = () => notFound('vehicle', 'VEHICLE_NOT_FOUND');

/** The operator's vehicles: registration, details, operational status, track, commands, quarantine. */
@Injectable()
export class VehiclesService {
  constructor(
    private readonly config: BookingConfig,
    private readonly vehicles: VehiclesRepository,
    private readonly fleet: FleetStateRepository,
    private readonly history: HistoryRepository,
    private readonly commander: VehicleCommander,
  ) {}

  /** Registers a vehicle; its MQTT password is in this answer and nowhere else. */
  async register(v: NewVehicle) {
    const password = newMqttPassword();
    if (!(await this.vehicles.insert(v, password)))
      throw new ApiError(409, 'VEHICLE_EXISTS', `a vehicle ${v.id} is already registered`);
    return { ...(await this.get(v.id)), mqtt: { username: v.id, password } };
  }

  async get(id: string): Promise<VehicleDetails> {
    const row = VEHICLE_ID_PATTERN.test(id) ? await this.vehicles.find(id) : undefined;
    if (!row) throw vehicleNotFound();
    return details(row);
  }

  async list(limit: number, after?: string): Promise<VehicleDetails[]> {
    return (await this.vehicles.list(limit, after)).map(details);
  }

  /**
   * Puts a car in service, into maintenance or out of the fleet, moving its MDS state along (events
   * written). A car reserved or on a trip is refused (409 VEHICLE_IN_USE): the booking ends first.
   */
  async setOperationalStatus(id: string, status: OperationalStatus): Promise<VehicleDetails> {
    if (!VEHICLE_ID_PATTERN.test(id)) throw vehicleNotFound();
    await this.fleet.transaction(async (db) => {
      const row = await this.vehicles.find(id, db, true);
      if (!row) throw vehicleNotFound();
      const current = row.state === 'non_contactable' ? (row.stateBeforeOffline ?? row.state) : row.state;
      if (status !== row.operationalStatus && IN_USE.includes(current)) {
        throw new ApiError(409, 'VEHICLE_IN_USE', `the car is ${current}; end its booking first`);
      }
      await this.vehicles.setOperationalStatus(db, id, status);
      const path = STATUS_PATHS[status][current];
      if (path) await this.fleet.advance(db, [id], current, path);
    });
    return this.get(id);
  }

  /** The car's stored fixes between two times as a GeoJSON Feature. */
  async track(id: string, from: Date, to: Date): Promise<TrackFeature<{ vehicleId: string }>> {
    await this.get(id);
    const points = await this.history.track(id, from, to, this.config.TRACK_MAX_POINTS);
    return trackFeature(points, { vehicleId: id });
  }

  /** Sends a command and answers with its final status. */
  async command(caller: Caller, id: string, type: CommandType): Promise<CommandView> {
    if (!COMMAND_PERMISSIONS[type].includes(caller.role)) {
      throw new ApiError(403, 'FORBIDDEN', `${type} is for ${COMMAND_PERMISSIONS[type].join(', ')}`);
    }
    if (!VEHICLE_ID_PATTERN.test(id)) throw vehicleNotFound();
    return this.commander.send(id, type, caller.id);
  }

  /**
   * A new MQTT password for the car, in this answer only; the old one stops working when the broker
   * next reads the accounts (the embedded broker: the car's next connect; Mosquitto: the next sync).
   */
  async reissueCredentials(
    id: string,
  ): Promise<{ vehicleId: string; mqtt: { username: string; password: string } }> {
    const password = newMqttPassword();
    if (!VEHICLE_ID_PATTERN.test(id) || !(await this.vehicles.setMqttPassword(id, password)))
      throw vehicleNotFound();
    return { vehicleId: id, mqtt: { username: id, password } };
  }

  /** Quarantined telemetry, newest first; the payload as text, its first 4 KiB. */
  async rejects(limit: number, vehicleId?: string, before?: string) {
    return (await this.vehicles.rejects(limit, vehicleId, before)).map(({ payloadHead, ...r }) => ({
      ...r,
      receivedAt: r.receivedAt.toISOString(),
      payload: payloadHead.toString('utf8'),
      payloadTruncated: r.payloadBytes > payloadHead.length,
    }));
  }
}
