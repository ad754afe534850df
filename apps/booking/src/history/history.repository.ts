import { queryRows } from '@fleet/domain';
import { TrackPoint } from '@fleet/geo';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The stored telemetry history, read for routes and tracks. */
@Injectable()
export class HistoryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * A car's stored fixes between two times, in fix-time order, at most `maxPoints` (a longer track
   * is thinned evenly, keeping its first and last fix).
   */
  async track(vehicleId: string, from: Date, to: Date, maxPoints: number): Promise<TrackPoint[]> {
    return queryRows<TrackPoint>(
      this.dataSource,
      `WITH h AS (
         SELECT fix_at, position, row_number() OVER (ORDER BY fix_at) - 1 AS i, count(*) OVER () AS n
           FROM telemetry WHERE vehicle_id = $1 AND fix_at BETWEEN $2 AND $3
       )
       SELECT ST_Y(position::geometry) AS lat, ST_X(position::geometry) AS lon, fix_at AS at
         FROM h
        WHERE n <= $4 OR i = n - 1 OR i % ceil(n::float8 / ($4 - 1))::bigint = 0
        ORDER BY fix_at`,
      [vehicleId, from, to, maxPoints],
    );
  }
}
