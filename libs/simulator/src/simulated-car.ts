import { CommandMessage, CommandResultStatus, vehicleTopic, DEFAULT_TOPIC_PREFIX } from '@fleet/contracts';
import mqtt, { MqttClient } from 'mqtt';
import { CommandGuard } from './command-guard';

/** A sample as a car sends it (contract field names). */
export interface WireSample {
  ts: number | string;
  lat: number;
  lon: number;
  locked: boolean;
  seq?: number;
  accuracyM?: number;
  heading?: number;
  speedKmh?: number;
  odometerKm?: number;
  rangeKm?: number;
  fuelPct?: number;
  batteryPct?: number;
  ignition?: boolean;
  doorsClosed?: boolean;
}

/** How the car answers commands: as a real car would, not at all, or refusing everything. */
export type CommandBehaviour = 'obey' | 'ignore' | 'refuse';

export interface SimulatedCarOptions {
  url: string;
  vehicleId: string;
  topicPrefix?: string;
  /** MQTT credentials from the registration; the username defaults to the vehicle id. */
  username?: string;
  password?: string;
  lat: number;
  lon: number;
  propulsion?: 'combustion' | 'electric';
  commands?: CommandBehaviour;
  /** Report a sample after carrying out unlock or lock, as telematics boxes do (default true). */
  reportAfterCommand?: boolean;
  /** The first `seq` (default 0): a box keeps counting across restarts, or its samples are duplicates. */
  firstSeq?: number;
  /** The highest command counter the box took before (default 0): it keeps it across restarts. */
  lastCommandCounter?: number;
}

/**
 * A car's telematics box speaking CONTRACT.md section 1 over a real MQTT connection: retained status
 * with a will, telemetry with increasing seq, and commands answered (unlock/lock change `locked`;
 * expired, replayed and out-of-order ones rejected: CommandGuard).
 */
export class SimulatedCar {
  readonly vehicleId: string;
  lat: number;
  lon: number;
  locked = true;
  ignition = false;
  doorsClosed = true;
  speedKmh = 0;
  headingDeg = 0;
  energyPct = 80;
  odometerKm = 12_000;
  commandBehaviour: CommandBehaviour;
  readonly receivedCommands: CommandMessage[] = [];
  private seq = 0;
  private readonly commandGuard: CommandGuard;
  private client?: MqttClient;
  private readonly prefix: string;

  constructor(private readonly options: SimulatedCarOptions) {
    this.vehicleId = options.vehicleId;
    this.lat = options.lat;
    this.lon = options.lon;
    this.prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    this.commandBehaviour = options.commands ?? 'obey';
    this.seq = options.firstSeq ?? 0;
    this.commandGuard = new CommandGuard(options.lastCommandCounter ?? 0);
  }

  topic(channel: 'telemetry' | 'status' | 'commands' | 'command-results'): string {
    return vehicleTopic(this.prefix, this.vehicleId, channel);
  }

  /** Connects (will: offline, retained), announces itself online and listens for commands. */
  async connect(): Promise<void> {
    const client = mqtt.connect(this.options.url, {
      // The platform's brokers make a car's client id its username, the vehicle id, anyway.
      clientId: this.vehicleId,
      username: this.options.username ?? (this.options.password ? this.vehicleId : undefined),
      password: this.options.password,
      reconnectPeriod: 500,
      will: { topic: this.topic('status'), payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (_topic, payload) => void this.onCommand(payload));
    client.on('connect', () => {
      client.subscribe(this.topic('commands'), { qos: 1 });
      client.publish(this.topic('status'), '{"online":true}', { qos: 1, retain: true });
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  /** The next sample from the car's current state; `overrides` change any field. */
  sample(overrides: Partial<WireSample> = {}): WireSample {
    const energy =
      this.options.propulsion === 'combustion' ? { fuelPct: this.energyPct } : { batteryPct: this.energyPct };
    return {
      ts: Date.now(),
      lat: this.lat,
      lon: this.lon,
      locked: this.locked,
      seq: this.seq++,
      accuracyM: 5,
      heading: this.headingDeg,
      speedKmh: this.speedKmh,
      odometerKm: this.odometerKm,
      ignition: this.ignition,
      doorsClosed: this.doorsClosed,
      ...energy,
      ...overrides,
    };
  }

  /** Publishes one sample (QoS 1); resolves when the broker acknowledged it. */
  async publishSample(overrides: Partial<WireSample> = {}): Promise<WireSample> {
    const sample = this.sample(overrides);
    await this.publishRaw(JSON.stringify(sample));
    return sample;
  }

  /** Publishes a buffered upload: an array of samples in one message. */
  async publishBatch(samples: WireSample[]): Promise<void> {
    await this.publishRaw(JSON.stringify(samples));
  }

  /** Publishes any payload on the car's telemetry topic (for bad-input tests). */
  async publishRaw(payload: string | Buffer, topic = this.topic('telemetry')): Promise<void> {
    await this.mqtt().publishAsync(topic, payload, { qos: 1 });
  }

  /** Moves the car by metres north and east. */
  move(northM: number, eastM: number): void {
    this.lat += northM / 111_320;
    this.lon += eastM / (111_320 * Math.cos((this.lat * Math.PI) / 180));
  }

  /** Drops the connection without a DISCONNECT, as a car losing power does: the broker sends the will. */
  async dropConnection(): Promise<void> {
    const client = this.mqtt();
    client.options.reconnectPeriod = 0;
    client.stream.destroy();
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  /** Clean disconnect (no will), and final: a client that is between connections does not come back. */
  async disconnect(): Promise<void> {
    const client = this.client;
    if (!client) return;
    client.options.reconnectPeriod = 0;
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }

  private async onCommand(payload: Buffer): Promise<void> {
    let command: CommandMessage;
    try {
      command = JSON.parse(payload.toString()) as CommandMessage;
    } catch {
      return;
    }
    this.receivedCommands.push(command);
    if (this.commandBehaviour === 'ignore') return;
    let status: CommandResultStatus = 'succeeded';
    let reason: string | undefined = this.commandGuard.judge(command, Date.now()) ?? undefined;
    if (reason) {
      status = 'rejected';
    } else if (this.commandBehaviour === 'refuse') {
      status = 'rejected';
      reason = 'refused by the car';
    } else if (command.type === 'unlock') {
      this.locked = false;
    } else if (command.type === 'lock') {
      this.locked = true;
    }
    await this.mqtt().publishAsync(
      this.topic('command-results'),
      JSON.stringify({ commandId: command.commandId, status, ...(reason ? { reason } : {}), ts: Date.now() }),
      { qos: 1 },
    );
    if (status === 'succeeded' && (command.type === 'unlock' || command.type === 'lock')) {
      if (this.options.reportAfterCommand ?? true) await this.publishSample();
    }
  }

  private mqtt(): MqttClient {
    if (!this.client) throw new Error(`car ${this.vehicleId} is not connected`);
    return this.client;
  }
}
