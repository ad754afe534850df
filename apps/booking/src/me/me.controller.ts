import { Caller } from '@fleet/auth';
import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { CurrentUser } from '../auth/decorators';
import { MfaService } from '../auth/mfa.service';
import { MeService } from './me.service';

export class UpdateMeDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ minLength: 8, description: 'a new password (with currentPassword)' })
  @IsOptional()
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  password?: string;

  @ApiPropertyOptional()
  @ValidateIf((o: UpdateMeDto) => o.password !== undefined)
  @IsString()
  @MaxLength(200)
  currentPassword?: string;
}

export class TotpCodeDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

/** The caller's own account, and its second factor. */
@ApiTags('me')
@Controller('me')
export class MeController {
  constructor(
    private readonly me: MeService,
    private readonly mfa: MfaService,
  ) {}

  @Get()
  get(@CurrentUser() caller: Caller) {
    return this.me.get(caller);
  }

  @Patch()
  update(@CurrentUser() caller: Caller, @Body() body: UpdateMeDto) {
    return this.me.update(caller, body);
  }

  @Get('export')
  export(@CurrentUser() caller: Caller) {
    return this.me.export(caller);
  }

  @Delete()
  @HttpCode(204)
  delete(@CurrentUser() caller: Caller): Promise<void> {
    return this.me.delete(caller);
  }

  @Post('mfa/totp')
  enrol(@CurrentUser() caller: Caller) {
    return this.mfa.enrol(caller.id, caller.email);
  }

  @Post('mfa/totp/verify')
  @HttpCode(200)
  verify(@CurrentUser() caller: Caller, @Body() body: TotpCodeDto) {
    return this.mfa.confirm(caller.id, body.code);
  }
}
