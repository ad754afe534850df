import { Caller } from '@fleet/auth';
import { Body, Controller, Headers, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { RateLimitGuard } from '../throttle/rate-limits';
import { UserView } from '../users/users.repository';
import { LoginDto, RefreshDto, RegisterDto, SetPasswordDto } from './auth.dto';
import { AuthService } from './auth.service';
import { CurrentUser } from './decorators';
import { SessionsService, TokenPair } from './sessions.service';

@ApiTags('auth')
@Controller('auth')
@UseGuards(RateLimitGuard)
@SkipThrottle({ writes: true })
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('register')
  register(@Body() body: RegisterDto): Promise<UserView> {
    return this.auth.register(body.email, body.password, body.name);
  }

  @Post('login')
  @HttpCode(200)
  login(
    @Body() body: LoginDto,
    @Ip() ip: string,
    @Headers('user-agent') userAgent?: string,
  ): Promise<TokenPair> {
    return this.auth.login(body, { ip, userAgent });
  }

  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: RefreshDto): Promise<TokenPair> {
    return this.sessions.refresh(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentUser() caller: Caller): Promise<void> {
    await this.sessions.end(caller.sessionId, 'logout');
  }

  @Post('password')
  @HttpCode(200)
  setPassword(@Body() body: SetPasswordDto): Promise<UserView> {
    return this.auth.setPassword(body.token, body.password);
  }
}
