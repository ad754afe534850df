// PLACEHOLDER until the throttle branch merges (same API).
import { Injectable } from '@nestjs/common';
@Injectable()
export class LoginBackoff {
  assertAllowed(_email: string): Promise<void> {
    return Promise.resolve();
  }
  recordFailure(_email: string): Promise<void> {
    return Promise.resolve();
  }
  recordSuccess(_email: string): Promise<void> {
    return Promise.resolve();
  }
}
