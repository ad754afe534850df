import { Logger } from '@nestjs/common';
import { GroupCommit, GroupCommitOptions, isPostgresDataError } from './group-commit';

interface Item {
  id: number;
  weight?: number;
}

const items = (...ids: number[]): Item[] => ids.map((id) => ({ id }));
const ids = (batch: Item[]) => batch.map((i) => i.id);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const pgError = (code: string, message = `pg error ${code}`) => Object.assign(new Error(message), { code });

/**
 * A GroupCommit over a fake database: `commit` records each batch it is given (by item id) and
 * `behaviour` decides per call whether it fails. Items handed to onPoison are recorded too.
 */
function setUp(
  behaviour: (batch: Item[], call: number) => Promise<void> | void = () => undefined,
  options: Partial<GroupCommitOptions<Item>> = {},
) {
  const attempts: number[][] = [];
  const committed: number[][] = [];
  const poisoned: { id: number; err: unknown }[] = [];
  const retries: { err: unknown; attempt: number }[] = [];
  const gc = new GroupCommit<Item>({
    commit: async (batch) => {
      attempts.push(ids(batch));
      await behaviour(batch, attempts.length);
      committed.push(ids(batch));
    },
    weight: (item) => item.weight ?? 1,
    maxBatchWeight: 100,
    isDataError: isPostgresDataError,
    onPoison: async (item, err) => {
      poisoned.push({ id: item.id, err });
    },
    onRetry: (err, attempt) => retries.push({ err, attempt }),
    ...options,
  });
  return { gc, attempts, committed, poisoned, retries };
}

describe('GroupCommit', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });

  it('commits items pushed together in one batch', async () => {
    const { gc, committed } = setUp();
    for (const item of items(1, 2, 3)) gc.push(item);
    expect(gc.pending).toBe(3);
    await gc.drain();
    expect(committed).toEqual([[1, 2, 3]]);
    expect(gc.pending).toBe(0);
  });

  it('gathers items pushed while a commit runs into the next batch', async () => {
    const gate = deferred();
    const started = deferred();
    const { gc, committed } = setUp(async (_batch, call) => {
      if (call === 1) {
        started.resolve();
        await gate.promise;
      }
    });
    gc.push({ id: 1 });
    await started.promise;
    for (const item of items(2, 3, 4)) gc.push(item);
    expect(gc.pending).toBe(3);
    gate.resolve();
    await gc.drain();
    expect(committed).toEqual([[1], [2, 3, 4]]);
  });

  it('runs one commit at a time', async () => {
    let running = 0;
    let most = 0;
    const { gc, committed } = setUp(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    for (let i = 0; i < 5; i++) {
      gc.push({ id: i });
      await new Promise((r) => setTimeout(r, 2));
    }
    await gc.drain();
    expect(most).toBe(1);
    expect(committed.flat()).toEqual([0, 1, 2, 3, 4]);
  });

  it('with concurrency 2, runs two commits side by side and still commits every item once', async () => {
    let running = 0;
    let most = 0;
    const { gc, committed } = setUp(
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 20; i++) {
      gc.push({ id: i });
      await new Promise((r) => setTimeout(r, 2));
    }
    await gc.drain();
    expect(most).toBe(2);
    expect(committed.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(gc.pending).toBe(0);
  });

  it('splits batches at maxBatchWeight, in order, giving an oversized item a batch of its own', async () => {
    const { gc, committed } = setUp(undefined, { maxBatchWeight: 10 });
    const weights = [4, 4, 4, 20, 1, 1, 10];
    weights.forEach((weight, id) => gc.push({ id, weight }));
    await gc.drain();
    expect(committed).toEqual([[0, 1], [2], [3], [4, 5], [6]]);
  });

  it('retries a batch after a transient error and commits everything once, in order', async () => {
    const lost = new Error('connection terminated unexpectedly');
    const { gc, attempts, committed, poisoned, retries } = setUp((_batch, call) => {
      if (call === 1) throw lost;
    });
    for (const item of items(1, 2, 3)) gc.push(item);
    await new Promise((r) => setTimeout(r, 20)); // the first attempt has failed by now
    for (const item of items(4, 5)) gc.push(item);
    await gc.drain();

    expect(attempts[0]).toEqual([1, 2, 3]);
    expect(committed.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(committed[0]).toEqual([1, 2, 3]);
    expect(poisoned).toEqual([]);
    expect(retries).toEqual([{ err: lost, attempt: 1 }]);
  });

  it('keeps retrying a transient error, with increasing attempt numbers', async () => {
    const { gc, committed, retries } = setUp((_batch, call) => {
      if (call <= 2) throw pgError('57P01', 'terminating connection due to administrator command');
    });
    gc.push({ id: 1 });
    await gc.drain();
    expect(committed).toEqual([[1]]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('bisects a batch failing with a data error until the poison item alone goes to onPoison', async () => {
    const { gc, committed, poisoned, retries } = setUp((batch) => {
      if (batch.some((i) => i.id === 5)) throw pgError('22P02', 'invalid input syntax for type uuid');
    });
    for (const item of items(1, 2, 3, 4, 5, 6, 7, 8)) gc.push(item);
    await gc.drain();

    expect(committed.flat()).toEqual([1, 2, 3, 4, 6, 7, 8]);
    expect(poisoned.map((p) => p.id)).toEqual([5]);
    expect(poisoned[0].err).toMatchObject({ code: '22P02' });
    expect(retries).toEqual([]); // a data error is not retried as is
  });

  it('isolates several poison items, including one reported under driverError.code', async () => {
    const { gc, committed, poisoned } = setUp((batch) => {
      if (batch.some((i) => i.id === 2)) throw pgError('23505', 'duplicate key value');
      if (batch.some((i) => i.id === 7)) {
        throw Object.assign(new Error('query failed'), { driverError: { code: '22003' } });
      }
    });
    for (const item of items(1, 2, 3, 4, 5, 6, 7)) gc.push(item);
    await gc.drain();
    expect(committed.flat()).toEqual([1, 3, 4, 5, 6]);
    expect(poisoned.map((p) => p.id)).toEqual([2, 7]);
  });

  it('hands a single failing item straight to onPoison', async () => {
    const { gc, committed, poisoned } = setUp(() => {
      throw pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
    });
    gc.push({ id: 9 });
    await gc.drain();
    expect(committed).toEqual([]);
    expect(poisoned.map((p) => p.id)).toEqual([9]);
  });

  it('retries onPoison until it succeeds', async () => {
    let poisonCalls = 0;
    const { gc, retries } = setUp(
      () => {
        throw pgError('22P02');
      },
      {
        onPoison: async () => {
          poisonCalls++;
          if (poisonCalls === 1) throw new Error('quarantine insert failed');
        },
      },
    );
    gc.push({ id: 1 });
    await gc.drain();
    expect(poisonCalls).toBe(2);
    expect(retries.map((r) => r.attempt)).toEqual([1]);
  });

  describe('drain()', () => {
    it('resolves at once when nothing was pushed', async () => {
      const { gc, committed } = setUp();
      await gc.drain();
      expect(committed).toEqual([]);
    });

    it('resolves only after everything pushed is committed, including items pushed meanwhile', async () => {
      const { gc, committed } = setUp(() => new Promise((r) => setTimeout(r, 50)));
      for (const item of items(1, 2)) gc.push(item);
      const drained = gc.drain();
      await new Promise((r) => setTimeout(r, 3)); // during the first commit
      for (const item of items(3, 4)) gc.push(item);
      let done = false;
      void drained.then(() => (done = true));
      await new Promise((r) => setTimeout(r, 3));
      expect(done).toBe(false);
      await drained;
      expect(committed.flat()).toEqual([1, 2, 3, 4]);
      expect(gc.pending).toBe(0);
    });

    it('waits for a transient failure to be retried and committed', async () => {
      const { gc, committed } = setUp((_batch, call) => {
        if (call === 1) throw new Error('ECONNREFUSED');
      });
      gc.push({ id: 1 });
      await gc.drain();
      expect(committed).toEqual([[1]]);
    });

    it('can be used again after a drain', async () => {
      const { gc, committed } = setUp();
      gc.push({ id: 1 });
      await gc.drain();
      gc.push({ id: 2 });
      await gc.drain();
      expect(committed).toEqual([[1], [2]]);
    });
  });

  // KNOWN BUG (see report): an item pushed in the few microtask ticks between the end of the run loop
  // and the `.finally` that clears `running` is left in the queue: no commit is started for it, and
  // drain() resolves with it still pending. It waits until some later push starts a new run.
  it('commits an item pushed from a promise callback just as the last commit ends', async () => {
    for (let ticks = 0; ticks <= 10; ticks++) {
      const done = deferred();
      let onCommitted: () => void = () => undefined;
      const { gc, committed } = setUp(() => {
        onCommitted();
      });
      onCommitted = () => {
        onCommitted = () => undefined;
        let p = Promise.resolve();
        for (let i = 0; i < ticks; i++) p = p.then(() => undefined);
        void p.then(() => {
          gc.push({ id: 2 });
          done.resolve();
        });
      };
      gc.push({ id: 1 });
      await done.promise;
      await gc.drain();
      expect({ ticks, committed: committed.flat(), pending: gc.pending }).toEqual({
        ticks,
        committed: [1, 2],
        pending: 0,
      });
    }
  });
});

describe('isPostgresDataError', () => {
  it.each<[string, boolean, unknown]>([
    ['22P02 invalid text representation', true, pgError('22P02')],
    ['22001 string data right truncation', true, pgError('22001')],
    ['22003 numeric value out of range', true, { code: '22003' }],
    ['23505 unique violation', true, pgError('23505')],
    ['23503 foreign key violation', true, { code: '23503' }],
    ['23514 check violation under driverError.code', true, { driverError: { code: '23514' } }],
    [
      '22021 under driverError.code of an Error',
      true,
      Object.assign(new Error('x'), { driverError: { code: '22021' } }),
    ],
    ['08006 connection failure', false, pgError('08006')],
    ['57P01 admin shutdown', false, pgError('57P01')],
    ['40001 serialization failure', false, pgError('40001')],
    ['53300 too many connections', false, { driverError: { code: '53300' } }],
    ['ECONNREFUSED', false, pgError('ECONNREFUSED')],
    ['no code', false, new Error('boom')],
    ['code undefined', false, { code: undefined }],
    ['a numeric code', false, { code: 22 }],
    ['undefined', false, undefined],
    ['null', false, null],
    ['a string', false, '22P02'],
  ])('%s -> %s', (_name, expected, err) => {
    expect(isPostgresDataError(err)).toBe(expected);
  });
});
