import { strict as assert } from 'node:assert';
import { HistoryRing } from '../../src/history/ring';

const chunk = (stampNs: bigint, value: number) => ({
  stampNs,
  data: new Float32Array(2 * 1 * 3).fill(value),
});

describe('compressed observation history', () => {
  it('never holds more chunks than its capacity and drops the oldest first', () => {
    const ring = new HistoryRing(3, [2, 1, 3]);
    for (let i = 1; i <= 5; i++) ring.push(chunk(BigInt(i), i));
    assert.equal(ring.size, 3);
    assert.deepEqual(
      ring.chunks().map((c) => c.stampNs),
      [3n, 4n, 5n],
    );
    assert.equal(ring.newest()!.data[0], 5);
    assert.equal(ring.capacityBytes, 3 * 6 * 4);
  });

  it('stacks chunks as a [1, C, N, H, W] video latent, oldest first, with ages in chunks', () => {
    const ring = new HistoryRing(4, [2, 1, 3]);
    ring.push({ stampNs: 1n, data: Float32Array.from([1, 2, 3, 10, 20, 30]) });
    ring.push({ stampNs: 2n, data: Float32Array.from([4, 5, 6, 40, 50, 60]) });
    const { latents, dims, ages } = ring.stack();
    assert.deepEqual(dims, [1, 2, 2, 1, 3]);
    assert.deepEqual(Array.from(latents), [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]);
    assert.deepEqual(Array.from(ages), [1, 0]);
  });

  it('copies what it stores so later edits of the caller’s buffer do not change history', () => {
    const ring = new HistoryRing(2, [2, 1, 3]);
    const c = chunk(1n, 1);
    ring.push(c);
    c.data.fill(9);
    assert.equal(ring.newest()!.data[0], 1);
  });

  it('rejects a chunk of the wrong size or a stamp that goes back', () => {
    const ring = new HistoryRing(2, [2, 1, 3]);
    assert.throws(
      () => ring.push({ stampNs: 1n, data: new Float32Array(5) }),
      /has 5 values, the history holds \[2, 1, 3\]/,
    );
    ring.push(chunk(5n, 0));
    assert.throws(() => ring.push(chunk(5n, 0)), /not after the newest/);
    assert.throws(() => new HistoryRing(0, [1, 1, 1]), /capacity must be ≥ 1/);
    ring.clear();
    assert.equal(ring.size, 0);
  });
});
