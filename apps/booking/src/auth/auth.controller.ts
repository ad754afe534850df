import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { RateLimitGuard } from '../throttle/rate-limits';
import { LoginDto, RegisterDto } from './auth.dto';
import { AuthService, UserView } from './auth.service';
import { Public } from './decorators';

@ApiTags('auth')
@Controller('auth')
@Public()
@UseGuards(RateLimitGuard)
@SkipThrottle({ writes: true })
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  register(@Body() body: RegisterDto): Promise<UserView> {
    return this.auth.register(body.email, body.password, body.name);
  }

  @Post('login')
  @HttpCode(200)
  login(@Body() body: LoginDto) {
    return this.auth.login(body.email, body.password);
  }
}
