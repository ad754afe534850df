import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ApiError } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';
import { CounterStore, LockoutRule } from './counter-store';

/** The per-account login policy (LOGIN_* settings). */
export interface LoginPolicy {
  /** Failed logins within the window that cost nothing. */
  freeFailures: number;
  /** How long failures are counted from the first one, in seconds (longer while locked). */
  failureWindowS: number;
  /** The longest lock, in seconds. */
  maxBackoffS: number;
}

/**
 * Seconds an account's logins are locked after its `failures`-th failure in the window: none for the
 * free ones, then 1, 2, 4, ... (2^(n-1) for the n-th beyond them), at most `maxBackoffS`.
 */
export function backoffS(failures: number, policy: LoginPolicy): number {
  const beyond = failures - policy.freeFailures;
  if (beyond <= 0) return 0;
  return Math.min(2 ** (beyond - 1), policy.maxBackoffS);
}

/** The policy as a CounterStore lockout rule: every distinct lock, up to the first at the cap. */
export function lockoutRule(policy: LoginPolicy): LockoutRule {
  const lockMs: number[] = [];
  for (let n = policy.freeFailures + 1; ; n++) {
    const s = backoffS(n, policy);
    lockMs.push(s * 1000);
    if (s >= policy.maxBackoffS) break;
  }
  return { windowMs: policy.failureWindowS * 1000, free: policy.freeFailures, lockMs };
}

/**
 * Logins per account, from any address, with exponential backoff (LOGIN_* settings), counted in the
 * shared CounterStore: guessing one account's password from many addresses, which the per-address
 * limit cannot see, slows to one guess per LOGIN_BACKOFF_MAX_S.
 *
 * `assertAllowed` counts the attempt as a failure right away, in the same atomic step as the lock
 * check, so guesses sent in parallel are refused as if they came one after another (counting only once
 * the password was checked would let every parallel guess past the check); `recordSuccess` forgives
 * it. Unknown emails are counted like accounts, so the answers do not tell which accounts exist.
 */
@Injectable()
export class LoginBackoff {
  private readonly rule: LockoutRule;

  constructor(
    private readonly store: CounterStore,
    config: BookingConfig,
  ) {
    this.rule = lockoutRule({
      freeFailures: config.LOGIN_FREE_FAILURES,
      failureWindowS: config.LOGIN_FAILURE_WINDOW_S,
      maxBackoffS: config.LOGIN_BACKOFF_MAX_S,
    });
  }

  /**
   * Throws 429 TOO_MANY_REQUESTS, with Retry-After, while the account is locked; else counts the
   * attempt as a failure, which stays counted unless recordSuccess follows.
   */
  async assertAllowed(email: string): Promise<void> {
    const { failures, lock } = this.keys(email);
    const lockedMs = await this.store.attempt(failures, lock, this.rule);
    if (lockedMs <= 0) return;
    throw new ApiError(
      429,
      'TOO_MANY_REQUESTS',
      'too many failed logins for this account; try again later',
      {},
      Math.ceil(lockedMs / 1000),
    );
  }

  /** The right password: the account starts afresh. */
  async recordSuccess(email: string): Promise<void> {
    const { failures, lock } = this.keys(email);
    await this.store.delete(failures, lock);
  }

  /**
   * The account's keys, by a hash of its lower-cased email (no address in clear in the store), in one
   * Redis Cluster hash slot ({...}), as the attempt script needs both.
   */
  private keys(email: string): { failures: string; lock: string } {
    const account = createHash('sha256').update(email.toLowerCase()).digest('base64url');
    return { failures: `login:{${account}}:failures`, lock: `login:{${account}}:lock` };
  }
}
