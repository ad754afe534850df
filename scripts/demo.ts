/**
 * The demo (`npm start` runs it when FLEET_DEMO is on, after the services are up): seeds the demo city
 * (Berlin inside the Ringbahn: business area, three no-parking zones, DEMO_CARS cars of two vehicle
 * types; idempotent), connects its cars as simulated telematics boxes and starts DEMO_DRIVERS simulated
 * drivers who book, drive and return cars through the booking API. Runs until stopped.
 *
 * Settings (environment): DATABASE_URL, MQTT_URL / MQTT_PORT, MQTT_TOPIC_PREFIX, BOOKING_PORT, as the
 * services; DEMO_CARS (500), DEMO_DRIVERS (25), DEMO_PARKED_REPORT_S (60; real cars: 1800).
 */
import { brokerUrl, CommonConfig, loadConfig } from '@fleet/config';
import { newMqttPassword } from '@fleet/domain';
import {
  DemoCity,
  DemoFleet,
  demoVehicles,
  knownCars,
  seedDemoVehicles,
  seedDemoZones,
} from '@fleet/simulator';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { Client } from 'pg';
import { DEMO_DRIVER } from './demo-accounts';

class DemoConfig extends CommonConfig {
  @IsInt()
  @Min(1)
  @Max(20_000)
  DEMO_CARS = 500;

  @IsInt()
  @Min(0)
  @Max(1000)
  DEMO_DRIVERS = 25;

  /** Seconds between two reports of a parked car (the product's cars: 1800; shortened for the demo). */
  @IsInt()
  @Min(5)
  DEMO_PARKED_REPORT_S = 60;

  @IsInt()
  BOOKING_PORT = 3000;

  /** The operator the demo adds its zones as (booking's first operator). */
  @IsString()
  FLEET_OPERATOR_EMAIL = 'operator@fleet.local';

  /** Unset: the installation's development secret, as booking takes it. */
  @IsString()
  FLEET_OPERATOR_PASSWORD = '';
}

async function operatorToken(bookingUrl: string, config: DemoConfig): Promise<string> {
  const res = await fetch(`${bookingUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: config.FLEET_OPERATOR_EMAIL, password: config.FLEET_OPERATOR_PASSWORD }),
  });
  const body = (await res.json()) as { accessToken?: string };
  if (!body.accessToken)
    throw new Error(`the operator cannot log in to add the demo zones (HTTP ${res.status})`);
  return body.accessToken;
}

const log = {
  info: (m: string) => console.log(`[demo] ${m}`),
  warn: (m: string) => console.warn(`[demo] ${m}`),
};

async function main(): Promise<void> {
  const config = loadConfig(DemoConfig);
  const city = DemoCity.berlin();
  const vehicles = demoVehicles(config.DEMO_CARS);
  const db = new Client({ connectionString: config.DATABASE_URL, application_name: 'fleet-demo' });
  await db.connect();
  const bookingUrl = `http://127.0.0.1:${config.BOOKING_PORT}`;
  const zonesAdded = await seedDemoZones(bookingUrl, await operatorToken(bookingUrl, config), city);
  // A fresh password for the demo cars at every start: nothing to keep or leak.
  const mqttPassword = newMqttPassword();
  const vehiclesAdded = await seedDemoVehicles(db, vehicles, mqttPassword);
  const known = await knownCars(
    db,
    vehicles.map((v) => v.id),
  );
  await db.end();
  log.info(
    `${city.name}: ${city.zones.length} zones (${zonesAdded} new), ${vehicles.length} cars (${vehiclesAdded} new)`,
  );
  const fleet = new DemoFleet(city, {
    brokerUrl: brokerUrl(config),
    mqttPassword,
    topicPrefix: config.MQTT_TOPIC_PREFIX,
    bookingUrl,
    drivers: config.DEMO_DRIVERS,
    timing: {
      parkedReportMs: config.DEMO_PARKED_REPORT_S * 1000,
      drivingReportMs: [1000, 5000],
      tunnelChance: 0.02,
      tunnelMs: [15_000, 40_000],
      dropChancePerMin: 0.002,
      offlineMs: [30_000, 120_000],
    },
    seed: 20_261_121,
    log,
  });
  const stop = () => void fleet.stop().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await fleet.start(vehicles, known);
  // A driver account for a person trying the API (the simulated drivers have their own).
  await fetch(`${bookingUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_DRIVER.email, password: DEMO_DRIVER.password, name: 'Demo driver' }),
  });
  log.info(
    `${fleet.cars.size} cars reporting, ${fleet.drivers.length} simulated drivers booking and driving`,
  );
  process.send?.({ type: 'ready' });
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`[demo] ${err.stack ?? err.message}`);
    process.exit(1);
  });
}
