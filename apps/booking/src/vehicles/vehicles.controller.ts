import { COMMAND_TYPES, CommandType, VEHICLE_ID_PATTERN } from '@fleet/contracts';
import { SERVICE_USERNAMES } from '@fleet/config';
import { CommandView } from '@fleet/messaging';
import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { Caller, STEP_UP_COMMANDS } from '@fleet/auth';
import { CurrentUser } from '../auth/decorators';
import { ApiError } from '../common/api-error';
import type { OperationalStatus, Propulsion } from './vehicles.repository';
import { VehicleDetails, VehiclesService } from './vehicles.service';

export class RegisterVehicleDto {
  @ApiProperty({ example: 'CAR-0001' })
  @IsString()
  @Matches(VEHICLE_ID_PATTERN, {
    message: 'id must be 1-64 letters, digits, _ or -, starting with a letter or digit',
  })
  // The car's broker username is its id: it must not be a service's account.
  @IsNotIn([...SERVICE_USERNAMES], { message: 'id is the name of a service account of the broker' })
  id!: string;

  @ApiProperty({ example: 'B-FL 1001' })
  @IsString()
  @Length(1, 20)
  plate!: string;

  @ApiProperty({ example: 'VW ID.3' })
  @IsString()
  @Length(1, 80)
  model!: string;

  @ApiProperty({ enum: ['combustion', 'electric'] })
  @IsIn(['combustion', 'electric'])
  propulsion!: Propulsion;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 64)
  vehicleTypeId?: string;
}

export class VehicleListQuery {
  @ApiPropertyOptional({ default: 100_000 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  limit = 100_000;

  @ApiPropertyOptional({ description: 'only vehicles whose id sorts after this one (paging)' })
  @IsOptional()
  @IsString()
  after?: string;
}

export class UpdateVehicleDto {
  @ApiProperty({ enum: ['active', 'maintenance', 'removed'] })
  @IsIn(['active', 'maintenance', 'removed'])
  operationalStatus!: OperationalStatus;
}

export class TrackQuery {
  @ApiPropertyOptional({ description: 'ISO 8601; default one hour before `to`' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; default now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class CommandDto {
  @ApiProperty({ enum: COMMAND_TYPES })
  @IsIn(COMMAND_TYPES)
  type!: CommandType;

  @ApiPropertyOptional({
    description: 'why: required for unlock and immobilize, and kept in the audit log',
    minLength: 3,
    maxLength: 500,
  })
  @ValidateIf((o: CommandDto) => STEP_UP_COMMANDS.has(o.type) || o.reason !== undefined)
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason?: string;
}

export class ReasonDto {
  @ApiProperty({ description: 'why (kept in the audit log)', minLength: 3, maxLength: 500 })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason!: string;
}

export class RejectsQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(VEHICLE_ID_PATTERN, { message: 'vehicleId is not a vehicle id' })
  vehicleId?: string;

  @ApiPropertyOptional({ default: 50 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit = 50;

  @ApiPropertyOptional({ description: 'only rejects with a smaller id (paging)' })
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'before must be a reject id' })
  before?: string;
}

const MAX_TRACK_DAYS = 31;

/** The operator's vehicle routes (CONTRACT.md 2.5). */
@ApiTags('operators')
@Controller()
export class VehiclesController {
  constructor(private readonly vehicles: VehiclesService) {}

  @Post('vehicles')
  register(@Body() body: RegisterVehicleDto) {
    return this.vehicles.register(body);
  }

  @Get('vehicles')
  async list(@Query() query: VehicleListQuery): Promise<{ vehicles: VehicleDetails[] }> {
    return { vehicles: await this.vehicles.list(query.limit, query.after) };
  }

  @Get('vehicles/:id')
  get(@Param('id') id: string): Promise<VehicleDetails> {
    return this.vehicles.get(id);
  }

  @Patch('vehicles/:id')
  update(@Param('id') id: string, @Body() body: UpdateVehicleDto): Promise<VehicleDetails> {
    return this.vehicles.setOperationalStatus(id, body.operationalStatus);
  }

  @Get('vehicles/:id/track')
  track(@Param('id') id: string, @Query() query: TrackQuery) {
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 3600_000);
    if (!(from < to) || to.getTime() - from.getTime() > MAX_TRACK_DAYS * 86_400_000) {
      throw new ApiError(
        400,
        'VALIDATION_FAILED',
        `from must be before to, at most ${MAX_TRACK_DAYS} days apart`,
        {
          fields: [{ field: 'from', problems: ['must be before to, at most 31 days apart'] }],
        },
      );
    }
    return this.vehicles.track(id, from, to);
  }

  @Post('vehicles/:id/commands')
  command(
    @CurrentUser() caller: Caller,
    @Param('id') id: string,
    @Body() body: CommandDto,
  ): Promise<CommandView> {
    return this.vehicles.command(caller, id, body.type);
  }

  /** A new MQTT password for the car (shown once); the old one stops working. */
  @Post('vehicles/:id/credentials')
  reissueCredentials(@Param('id') id: string, @Body() _body: ReasonDto) {
    return this.vehicles.reissueCredentials(id);
  }

  @Get('telemetry/rejects')
  async rejects(@Query() query: RejectsQuery) {
    return { rejects: await this.vehicles.rejects(query.limit, query.vehicleId, query.before) };
  }
}
