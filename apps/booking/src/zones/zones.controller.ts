import { queryRows } from '@fleet/domain';
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsObject, IsString, MaxLength, MinLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { ApiError, notFound } from '../common/api-error';
import { UUID_PATTERN } from '../common/validation';
import { NearbyIndexService } from '../vehicles/nearby-index.service';
import { validateZoneGeometry } from './zone-geometry';

export const ZONE_KINDS = ['business_area', 'no_parking'] as const;

export class CreateZoneDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: ZONE_KINDS })
  @IsIn(ZONE_KINDS)
  kind!: (typeof ZONE_KINDS)[number];

  @ApiProperty({ description: 'GeoJSON Polygon or MultiPolygon, closed rings, no self-intersection' })
  @IsObject()
  geometry!: Record<string, unknown>;
}

const ZONE_COLUMNS = `id, name, kind, ST_AsGeoJSON(geometry)::json AS geometry, created_at AS "createdAt"`;

/** Business areas and no-parking zones, stored as geography MultiPolygons. */
@ApiTags('zones')
@Controller('zones')
export class ZonesController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly nearby: NearbyIndexService,
  ) {}

  @Post()
  async create(@Body() body: CreateZoneDto) {
    const result = validateZoneGeometry(body.geometry);
    if (!result.ok) {
      throw new ApiError(400, 'VALIDATION_FAILED', `geometry: ${result.problems.join('; ')}`, {
        fields: [{ field: 'geometry', problems: result.problems }],
      });
    }
    const [zone] = await queryRows(
      this.dataSource,
      `INSERT INTO zones (name, kind, geometry)
       VALUES ($1, $2, ST_SetSRID(ST_GeomFromGeoJSON($3), 4326)::geography)
       RETURNING ${ZONE_COLUMNS}`,
      [body.name, body.kind, JSON.stringify({ type: 'MultiPolygon', coordinates: result.coordinates })],
    );
    await this.nearby.refreshZones();
    return zone;
  }

  @Get()
  async list() {
    return {
      zones: await queryRows(this.dataSource, `SELECT ${ZONE_COLUMNS} FROM zones ORDER BY created_at`),
    };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    const rows = UUID_PATTERN.test(id)
      ? await queryRows(this.dataSource, `DELETE FROM zones WHERE id = $1 RETURNING id`, [id])
      : [];
    if (rows.length === 0) throw notFound('zone', 'ZONE_NOT_FOUND');
    await this.nearby.refreshZones();
  }
}
