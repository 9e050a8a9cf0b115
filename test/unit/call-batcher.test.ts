// lib/infra/call-batcher.ts: calls of one turn leave as one batch call, each item settles with its
// own answer or error (rebuilt as the broker rebuilds errors from other nodes), and the batch action's
// side keeps items in order, answers without a promise when it can, and drops stacks.
import { expect } from 'chai';
import { Errors, ServiceBroker } from 'moleculer';
import { AppError } from '../../lib/core/errors.ts';
import { CallBatcher, MAX_BATCH_ITEMS, runBatch, type BatchParams } from '../../lib/infra/call-batcher.ts';

interface Item {
  n: number;
  fail?: boolean;
  slow?: boolean;
}

describe('CallBatcher and runBatch', () => {
  let broker: ServiceBroker;
  const batches: Array<{ size: number; deadlineAt: unknown }> = [];

  before(async () => {
    broker = new ServiceBroker({ logger: false, transporter: null });
    broker.createService({
      name: 'calc',
      actions: {
        doubleMany(ctx: { params: BatchParams<Item>; meta: { deadlineAt?: number } }) {
          batches.push({ size: ctx.params.items.length, deadlineAt: ctx.meta.deadlineAt });
          return runBatch(broker, ctx.params.items, item => {
            if (item.fail) throw new AppError('LICENSE_NOT_FOUND', `no ${item.n}`, { field: 'n', reason: 'not_found' });
            return item.slow ? Promise.resolve(item.n * 2) : item.n * 2;
          });
        },
      },
    });
    await broker.start();
  });
  after(() => broker.stop());
  beforeEach(() => (batches.length = 0));

  it('sends the calls of one turn as one batch and gives each its own answer', async () => {
    const batcher = new CallBatcher<Item, number>(broker, 'calc.doubleMany');
    const deadline = Date.now() + 2000;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => batcher.call({ n }, deadline + n)));
    expect(answers).to.deep.equal([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(batches).to.deep.equal([{ size: 10, deadlineAt: deadline }]);
  });

  it('splits a busy turn into batches of at most MAX_BATCH_ITEMS', async () => {
    const batcher = new CallBatcher<Item, number>(broker, 'calc.doubleMany');
    const count = MAX_BATCH_ITEMS * 2 + 5;
    await Promise.all(Array.from({ length: count }, (_, n) => batcher.call({ n }, Date.now() + 2000)));
    expect(batches.map(b => b.size)).to.deep.equal([MAX_BATCH_ITEMS, MAX_BATCH_ITEMS, 5]);
  });

  it("rejects only the failing item, with the error's name, code, type and details", async () => {
    const batcher = new CallBatcher<Item, number>(broker, 'calc.doubleMany');
    const deadline = Date.now() + 2000;
    const settled = await Promise.allSettled([
      batcher.call({ n: 1 }, deadline),
      batcher.call({ n: 2, fail: true }, deadline),
      batcher.call({ n: 3, slow: true }, deadline),
    ]);
    expect(settled[0]).to.deep.equal({ status: 'fulfilled', value: 2 });
    expect(settled[2]).to.deep.equal({ status: 'fulfilled', value: 6 });
    expect(settled[1].status).to.equal('rejected');
    const err = (settled[1] as PromiseRejectedResult).reason as Errors.MoleculerError;
    expect(err).to.include({ name: 'AppError', message: 'no 2', code: 404, type: 'LICENSE_NOT_FOUND' });
    expect(err.data).to.deep.equal({ field: 'n', reason: 'not_found' });
  });

  it('rejects every item when the batch call itself fails', async () => {
    const batcher = new CallBatcher<Item, number>(broker, 'calc.missingMany');
    const settled = await Promise.allSettled([
      batcher.call({ n: 1 }, Date.now() + 500),
      batcher.call({ n: 2 }, Date.now() + 500),
    ]);
    for (const s of settled) {
      expect(s.status).to.equal('rejected');
      expect(((s as PromiseRejectedResult).reason as Errors.MoleculerError).type).to.equal('SERVICE_NOT_FOUND');
    }
  });

  it('runBatch answers without a promise when every item is answered from memory', () => {
    const outcomes = runBatch(broker, [1, 2, 3], n => n + 1);
    expect(outcomes).to.deep.equal([{ ok: 2 }, { ok: 3 }, { ok: 4 }]);
  });

  it('runBatch keeps the order of mixed items and leaves stacks out of errors', async () => {
    const outcomes = await runBatch(broker, [1, 2, 3], n => {
      if (n === 2) throw new AppError('VALIDATION_ERROR', 'bad', { field: 'x', reason: 'required' });
      return n === 3 ? Promise.resolve(30) : 10;
    });
    expect(outcomes[0]).to.deep.equal({ ok: 10 });
    expect(outcomes[2]).to.deep.equal({ ok: 30 });
    const failed = outcomes[1] as unknown as { error: Record<string, unknown> };
    expect(failed.error).to.include({ name: 'AppError', message: 'bad', code: 400, type: 'VALIDATION_ERROR' });
    expect(failed.error).to.not.have.property('stack');
  });
});
