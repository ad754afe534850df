import { VEHICLE_ID_PATTERN } from '@fleet/contracts';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { Caller } from '@fleet/auth';
import { BookingWrite, CurrentUser } from '../auth/decorators';
import { TripsService, TripView } from './trips.service';

export class StartTripDto {
  @ApiPropertyOptional({ description: 'the reservation to start from (or give vehicleId)' })
  @ValidateBy({
    name: 'reservationOrVehicle',
    validator: {
      validate: (_value, args) => {
        const o = args?.object as StartTripDto;
        return (o.reservationId === undefined) !== (o.vehicleId === undefined);
      },
      defaultMessage: () => 'give exactly one of reservationId and vehicleId',
    },
  })
  @ValidateIf((o: StartTripDto) => o.vehicleId === undefined || o.reservationId !== undefined)
  @IsString()
  reservationId?: string;

  @ApiPropertyOptional({ example: 'CAR-0001', description: 'a bookable car to start on directly' })
  @IsOptional()
  @IsString()
  @Matches(VEHICLE_ID_PATTERN, { message: 'vehicleId is not a vehicle id' })
  vehicleId?: string;
}

export class MyTripsQuery {
  @ApiProperty({ required: false, default: 50 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;
}

/** Trips of drivers (CONTRACT.md 2.4). Writes are the driver's own; operators may read any trip. */
@ApiTags('trips')
@Controller()
export class TripsController {
  constructor(private readonly trips: TripsService) {}

  @Post('trips')
  @BookingWrite()
  start(@CurrentUser() caller: Caller, @Body() body: StartTripDto): Promise<TripView> {
    return this.trips.start(caller, body);
  }

  @Post('trips/:id/park')
  @HttpCode(200)
  @BookingWrite()
  park(@CurrentUser() caller: Caller, @Param('id') id: string): Promise<TripView> {
    return this.trips.park(caller, id);
  }

  @Post('trips/:id/resume')
  @HttpCode(200)
  @BookingWrite()
  resume(@CurrentUser() caller: Caller, @Param('id') id: string): Promise<TripView> {
    return this.trips.resume(caller, id);
  }

  @Post('trips/:id/end')
  @HttpCode(200)
  @BookingWrite()
  end(@CurrentUser() caller: Caller, @Param('id') id: string): Promise<TripView> {
    return this.trips.end(caller, id);
  }

  @Get('trips/:id')
  get(@CurrentUser() caller: Caller, @Param('id') id: string): Promise<TripView> {
    return this.trips.get(caller, id);
  }

  @Get('trips/:id/route')
  route(@CurrentUser() caller: Caller, @Param('id') id: string) {
    return this.trips.route(caller, id);
  }

  @Get('me/trips')
  async mine(@CurrentUser() caller: Caller, @Query() query: MyTripsQuery): Promise<{ trips: TripView[] }> {
    return { trips: await this.trips.mine(caller, query.limit) };
  }
}
