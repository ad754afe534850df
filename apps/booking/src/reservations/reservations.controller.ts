import { VEHICLE_ID_PATTERN } from '@fleet/contracts';
import { Body, Controller, Delete, Get, Headers, Param, Post, Res } from '@nestjs/common';
import { ApiHeader, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import type { Response } from 'express';
import { Caller } from '@fleet/auth';
import { BookingWrite, CurrentUser } from '../auth/decorators';
import { ApiError } from '../common/api-error';
import { ReservationsService, ReservationView } from './reservations.service';

export class CreateReservationDto {
  @ApiProperty({ example: 'CAR-0001' })
  @IsString()
  @Matches(VEHICLE_ID_PATTERN, { message: 'vehicleId is not a vehicle id' })
  vehicleId!: string;
}

@ApiTags('reservations')
@Controller('reservations')
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  @Post()
  @BookingWrite()
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async create(
    @CurrentUser() caller: Caller,
    @Body() body: CreateReservationDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReservationView> {
    if (key !== undefined && !/^[\x21-\x7e]{1,200}$/.test(key)) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'Idempotency-Key must be 1-200 visible ASCII characters');
    }
    const result = await this.reservations.create(caller, body.vehicleId, key);
    res.status(result.status);
    return result.body;
  }

  @Get(':id')
  get(@CurrentUser() caller: Caller, @Param('id') id: string): Promise<ReservationView> {
    return this.reservations.get(caller, id);
  }

  @Delete(':id')
  @BookingWrite()
  cancel(@CurrentUser() caller: Caller, @Param('id') id: string): Promise<ReservationView> {
    return this.reservations.cancel(caller, id);
  }
}
