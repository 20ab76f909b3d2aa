/**
 * A {@link MarginBackend} that runs the {@link MarginService} on the calling thread, for tests
 * that hand the service an undici MockAgent (mocks are per thread, docs/engineering.md §4.2, so they
 * cannot reach the piscina worker). Test-only, so it lives under test/: production always uses
 * {@link MarginWorkerPool}. Both run the same contract suite (test/margin-backend.case.ts).
 */
import { unwrapAnswer } from '../../src/margin/margin-pool.js';
import { MarginService, type MarginServiceOptions } from '../../src/margin/margin-service.js';
import { settleBy } from '../../src/margin/settle-by.js';
import type { MarginBackend, MarginResult, MarginStats, MarginTask } from '../../src/margin/types.js';

/** Same-thread margin backend. */
export class InlineMarginBackend implements MarginBackend {
  readonly service: MarginService;
  private readonly onClose: (() => Promise<void>) | undefined;
  private nextTask = 1;

  constructor(opts: MarginServiceOptions, onClose?: () => Promise<void>) {
    this.service = new MarginService(opts);
    this.onClose = onClose;
  }

  compute(task: MarginTask, signal?: AbortSignal): Promise<MarginResult> {
    const taskId = String(this.nextTask++);
    const answer = this.service.compute({ ...task, taskId }).then(unwrapAnswer);
    return settleBy(answer, task, signal, (why) => void this.service.cancel(taskId, why));
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
