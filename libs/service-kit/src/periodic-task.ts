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

  /**
   * Runs the task every `periodMs`. With `spread`, the first run comes after a random share of the
   * period, so that processes started together (cluster workers, replicas) do not all run it at once.
   */
  start(periodMs: number, { spread = false } = {}): void {
    const every = () => (this.timer = setInterval(() => void this.runOnce(), periodMs));
    if (!spread) {
      every();
      return;
    }
    this.timer = setTimeout(() => {
      every();
      void this.runOnce();
    }, Math.random() * periodMs);
  }

  stop(): void {
    clearTimeout(this.timer); // a timeout or an interval: Node clears either
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
