/**
 * A {@link MarginBackend} that runs the {@link MarginService} on the calling thread. For tests
 * that hand the service an undici MockAgent (mocks are per thread, engineering.md §4.2, so they
 * cannot reach the piscina worker). Production uses {@link MarginWorkerPool}.
 *
 * @module
 */
import { unwrapAnswer } from './margin-pool.js';
import { MarginService, type MarginServiceOptions } from './margin-service.js';
import type { MarginBackend, MarginResult, MarginStats, MarginTask } from './types.js';

/** Same-thread margin backend (tests, tools). */
export class InlineMarginBackend implements MarginBackend {
  readonly service: MarginService;
  private readonly onClose: (() => Promise<void>) | undefined;

  constructor(opts: MarginServiceOptions, onClose?: () => Promise<void>) {
    this.service = new MarginService(opts);
    this.onClose = onClose;
  }

  async compute(task: MarginTask): Promise<MarginResult> {
    return unwrapAnswer(await this.service.compute(task));
  }

  async invalidate(userId: number, keepHash?: string): Promise<void> {
    this.service.invalidate(userId, keepHash);
  }

  async stats(): Promise<MarginStats> {
    return this.service.stats();
  }

  async close(): Promise<void> {
    await this.onClose?.();
  }
}
