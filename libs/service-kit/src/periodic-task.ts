import { Logger } from '@nestjs/common';

/**
 * A background task run every `periodMs`: never two runs at once (a slow run skips the ticks it
 * overlaps), and a failed run is logged, not thrown, so the next tick tries again.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    private readonly task: () => Promise<unknown>,
  ) {}

  start(periodMs: number): void {
    this.timer = setInterval(() => void this.runOnce(), periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async runOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.task();
    } catch (err) {
      this.logger.warn(`${this.name} failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
