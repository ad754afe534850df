import { queryRows } from '@fleet/domain';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators';
import { BookingConfig } from '../config/booking.config';
import { bookableCondition } from './bookable';

export class NearbyQuery {
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-90)
  @Max(90)
  lat!: number;

  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-180)
  @Max(180)
  lon!: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  radius = 1000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;
}

interface NearbyRow {
  id: string;
  plate: string;
  model: string;
  propulsion: string;
  lat: number;
  lon: number;
  distanceM: number;
  fuelPct: number | null;
  batteryPct: number | null;
  rangeKm: number | null;
}

/** Bookable cars near a point, nearest first (CONTRACT.md 2.2). */
@ApiTags('vehicles')
@Controller('vehicles')
export class NearbyController {
  private readonly sql: string;

  constructor(
    private readonly dataSource: DataSource,
    config: BookingConfig,
  ) {
    // KNN (`<->` on the GiST index, spheroid-free) picks candidates within the radius; the distance
    // reported and the final order are on the ellipsoid.
    this.sql = `
      SELECT * FROM (
        SELECT v.id, v.plate, v.model, v.propulsion,
               ST_Y(s.position::geometry) AS lat, ST_X(s.position::geometry) AS lon,
               ST_Distance(s.position, p.pt, true) AS "distanceM",
               s.fuel_pct AS "fuelPct", s.battery_pct AS "batteryPct", s.range_km AS "rangeKm"
          FROM vehicle_state s JOIN vehicles v ON v.id = s.vehicle_id,
               (SELECT ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography AS pt) p
         WHERE ST_DWithin(s.position, p.pt, $3, true) AND ${bookableCondition(config)}
         ORDER BY s.position <-> p.pt
         LIMIT $4
      ) near ORDER BY "distanceM"`;
  }

  @Get('nearby')
  @Public()
  async nearby(@Query() q: NearbyQuery): Promise<{ vehicles: Record<string, unknown>[] }> {
    const rows = await queryRows<NearbyRow>(this.dataSource, this.sql, [q.lat, q.lon, q.radius, q.limit]);
    return {
      vehicles: rows.map((r) => {
        const { fuelPct, batteryPct, rangeKm, ...rest } = r;
        return {
          ...rest,
          distanceM: Math.round(r.distanceM * 10) / 10,
          ...(fuelPct !== null ? { fuelPct } : {}),
          ...(batteryPct !== null ? { batteryPct } : {}),
          ...(rangeKm !== null ? { rangeKm } : {}),
        };
      }),
    };
  }
}
