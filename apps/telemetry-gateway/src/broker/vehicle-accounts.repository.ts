import { queryRows } from '@fleet/domain';
import { MosquittoAccount } from '@fleet/messaging';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Vehicles that may connect: registered with MQTT credentials and not removed from the fleet. */
const CAN_CONNECT = `mqtt_password_hash IS NOT NULL AND operational_status <> 'removed'`;

/** The vehicles' broker accounts (username = vehicle id, `$7$` hash), as registration stored them. */
@Injectable()
export class VehicleAccountsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The stored hashes of those of `usernames` that may connect. */
  async hashes(usernames: string[]): Promise<Map<string, string>> {
    const rows = await queryRows<MosquittoAccount>(
      this.dataSource,
      `SELECT mqtt_username AS "username", mqtt_password_hash AS "passwordHash"
         FROM vehicles WHERE mqtt_username = ANY($1::text[]) AND ${CAN_CONNECT}`,
      [usernames],
    );
    return new Map(rows.map((r) => [r.username, r.passwordHash]));
  }

  /** Every account that may connect (for Mosquitto's password file). */
  async all(): Promise<MosquittoAccount[]> {
    return queryRows<MosquittoAccount>(
      this.dataSource,
      `SELECT mqtt_username AS "username", mqtt_password_hash AS "passwordHash"
         FROM vehicles WHERE ${CAN_CONNECT} ORDER BY mqtt_username`,
    );
  }
}
