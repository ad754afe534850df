import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, Max, Min } from 'class-validator';
import { Public } from '../auth/decorators';
import { NearbyIndexService } from './nearby-index.service';

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

/** Bookable cars near a point, nearest first (CONTRACT.md 2.2). */
@ApiTags('vehicles')
@Controller('vehicles')
export class NearbyController {
  constructor(private readonly nearbyCars: NearbyIndexService) {}

  @Get('nearby')
  @Public()
  nearby(@Query() q: NearbyQuery): { vehicles: Record<string, unknown>[] } {
    const rows = this.nearbyCars.find(q.lat, q.lon, q.radius, q.limit);
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
