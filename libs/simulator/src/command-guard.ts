import { CommandMessage } from '@fleet/contracts';

/** Why a car refuses a command before carrying it out (the `reason` of its `rejected` result). */
export type CommandRefusal = 'expired' | 'replayed' | 'out of order' | 'invalid counter';

/** How many counters of recent commands a car remembers to tell a replay from an out-of-order command. */
const REMEMBERED = 256;

/**
 * What a telematics box keeps about the commands it was sent (in flash, across restarts): the highest
 * counter, and the last few. A command runs only if its counter is above every earlier one and it has
 * not expired; otherwise it is refused as a replay (a counter seen before), out of order (an older
 * one never seen, e.g. an `unlock` delivered after the `lock` that followed it), or expired.
 */
export class CommandGuard {
  private readonly recent = new Set<number>();

  constructor(private highest = 0) {}

  get highestCounter(): number {
    return this.highest;
  }

  /** null when the command may run now; else why not. A higher counter is remembered either way. */
  judge(command: Pick<CommandMessage, 'counter' | 'expiresAt'>, nowMs: number): CommandRefusal | null {
    const counter = command.counter;
    if (!Number.isSafeInteger(counter) || counter < 1) return 'invalid counter';
    if (counter <= this.highest) return this.recent.has(counter) ? 'replayed' : 'out of order';
    this.highest = counter;
    this.recent.add(counter);
    if (this.recent.size > REMEMBERED) this.recent.delete(this.recent.values().next().value!);
    const expiresAt = Date.parse(command.expiresAt);
    return Number.isNaN(expiresAt) || expiresAt <= nowMs ? 'expired' : null;
  }
}
