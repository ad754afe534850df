import { Caller, STAFF_ROLES, StaffRole } from '@fleet/auth';
import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../common/paging';
import { CurrentUser } from '../auth/decorators';
import { Invitation, StaffService, StaffView } from './staff.service';

export class InviteStaffDto {
  @ApiProperty({ example: 'grace@operator.example' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Grace Hopper' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: STAFF_ROLES })
  @IsIn(STAFF_ROLES)
  role!: StaffRole;
}

export class UpdateStaffDto {
  @ApiPropertyOptional({ enum: STAFF_ROLES })
  @IsOptional()
  @IsIn(STAFF_ROLES)
  role?: StaffRole;

  @ApiPropertyOptional({ description: 'true blocks the member (their sessions end), false unblocks' })
  @IsOptional()
  @IsBoolean()
  blocked?: boolean;

  @ApiPropertyOptional({
    description: "true removes the member's TOTP and recovery codes (a lost phone): they enrol again",
  })
  @IsOptional()
  @IsBoolean()
  resetMfa?: boolean;

  @ApiPropertyOptional({ description: 'why (kept with the block and in the audit log)' })
  @IsOptional()
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason?: string;
}

/** Staff management (admins). */
@ApiTags('staff')
@Controller('staff')
export class StaffController {
  constructor(private readonly staff: StaffService) {}

  @Get()
  list(@Query() query: PageQuery) {
    return this.staff.list(query.limit, query.cursor);
  }

  @Post()
  async invite(@Body() body: InviteStaffDto): Promise<Invitation> {
    return (await this.staff.invite(body)).invitation;
  }

  @Patch(':id')
  update(
    @CurrentUser() caller: Caller,
    @Param('id') id: string,
    @Body() body: UpdateStaffDto,
  ): Promise<StaffView> {
    return this.staff.update(caller.id, id, body);
  }
}
