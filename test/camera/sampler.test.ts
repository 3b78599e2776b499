import { strict as assert } from 'node:assert';
import { FrameSampler, FrameThrottle, type SamplerEvent } from '../../src/camera';

const MS = 1_000_000n;

/** Stamps of a camera at `hz` from t0 for `seconds`, with a deterministic jitter of up to ±jitterMs. */
function cameraStamps(hz: number, seconds: number, jitterMs = 0, t0 = 1_000n * MS): bigint[] {
  const out: bigint[] = [];
  let seed = 12345;
  for (let i = 0; i < hz * seconds; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const jitter = jitterMs * ((seed / 2147483648) * 2 - 1);
    out.push(t0 + BigInt(Math.round((i * 1000) / hz + jitter)) * MS);
  }
  return out;
}

function feed(sampler: FrameSampler<number>, stamps: bigint[]): SamplerEvent<number>[] {
  return stamps.flatMap((s, i) => sampler.push(s, i));
}

const framesOf = (events: SamplerEvent<number>[]) => events.filter((e) => e.kind === 'frame');
const gapsOf = (events: SamplerEvent<number>[]) => events.filter((e) => e.kind === 'gap');

describe('FrameSampler (4 FPS by timestamp)', () => {
  it('takes the first frame at once and then the frame nearest each 0.25 s tick of a 30 Hz camera', () => {
    const stamps = cameraStamps(30, 3);
    const frames = framesOf(feed(new FrameSampler(), stamps));
    assert.equal(frames.length, 12); // ticks 0 … 11 lie within 0 … 2.967 s
    frames.forEach((f, k) => {
      assert.equal(f.tick, BigInt(k));
      assert.equal(f.tickNs, stamps[0]! + BigInt(k) * 250n * MS);
      const nearest = stamps.reduce((a, b) =>
        (b > f.tickNs ? b - f.tickNs : f.tickNs - b) < (a > f.tickNs ? a - f.tickNs : f.tickNs - a) ? b : a,
      );
      assert.equal(f.stampNs, nearest, `tick ${k}`);
    });
  });

  it('gives every tick exactly one frame from a jittery 15 Hz camera, never reusing a frame', () => {
    const frames = framesOf(feed(new FrameSampler(), cameraStamps(15, 10, 12)));
    assert.deepEqual(
      frames.map((f) => f.tick),
      Array.from({ length: frames.length }, (_, k) => BigInt(k)),
    );
    assert.ok(frames.length >= 39, `only ${frames.length} frames in 10 s`);
    assert.equal(new Set(frames.map((f) => f.frame)).size, frames.length);
    for (const f of frames)
      assert.ok(f.offsetNs < 50n * MS && f.offsetNs > -50n * MS, `offset ${f.offsetNs}`);
  });

  it('samples by stamp, not by count, when the camera rate changes (20 Hz then 5 Hz)', () => {
    const fast = cameraStamps(20, 2);
    const slow = cameraStamps(5, 2, 0, fast[fast.length - 1]! + 200n * MS);
    const events = feed(new FrameSampler(), [...fast, ...slow]);
    const frames = framesOf(events);
    assert.deepEqual(gapsOf(events), []);
    // Every 0.25 s tick has a frame within 50 ms (at 5 Hz one frame lies within 100 ms of each tick).
    for (const f of frames)
      assert.ok(f.offsetNs <= 100n * MS && f.offsetNs >= -100n * MS, `tick ${f.tick}: ${f.offsetNs}`);
    assert.equal(frames.length, 16);
  });

  it('reports a gap with the number of missed ticks and keeps the tick grid', () => {
    const before = cameraStamps(10, 1); // 1.000 … 1.900 s
    const after = cameraStamps(10, 1, 0, 3_000n * MS); // 3.000 … 3.900 s
    const events = feed(new FrameSampler(), [...before, ...after]);
    const gaps = gapsOf(events);
    assert.equal(gaps.length, 1);
    // Ticks at 2.25, 2.5, 2.75 s have no frame within 125 ms; 2.0 takes 1.9 s, 3.0 takes 3.0 s.
    assert.deepEqual(gaps[0], {
      kind: 'gap',
      firstTick: 5n,
      missedTicks: 3,
      lastStampNs: 1_900n * MS,
      nextStampNs: 3_000n * MS,
    });
    const ticks = framesOf(events).map((f) => Number(f.tick));
    assert.deepEqual(ticks, [0, 1, 2, 3, 4, 8, 9, 10, 11]);
  });

  it('reports the holes of a 3 Hz camera, slower than the model needs', () => {
    // Frames every 333 ms: ticks 2, 6, 10, 14 (0.5, 1.5, 2.5, 3.5 s) have none within 125 ms.
    const events = feed(new FrameSampler(), cameraStamps(3, 4));
    const gaps = gapsOf(events);
    assert.deepEqual(
      gaps.map((g) => g.kind === 'gap' && [Number(g.firstTick), g.missedTicks]),
      [
        [2, 1],
        [6, 1],
        [10, 1],
        [14, 1],
      ],
    );
    assert.equal(framesOf(events).length, 11); // the 12th frame waits for tick 15
  });

  it('rejects frames whose stamps go backwards or repeat, and carries on', () => {
    const s = new FrameSampler<string>();
    s.push(1_000n * MS, 'a');
    assert.deepEqual(s.push(900n * MS, 'b'), [
      { kind: 'rejected', stampNs: 900n * MS, previousStampNs: 1_000n * MS, reason: 'stamp went backwards' },
    ]);
    assert.equal(s.push(1_000n * MS, 'c')[0]!.kind, 'rejected');
    const next = s.push(1_250n * MS, 'd');
    assert.equal(next.length, 1);
    assert.equal(next[0]!.kind === 'frame' && next[0]!.frame, 'd');
  });

  it('re-anchors the grid after reset', () => {
    const s = new FrameSampler<number>();
    s.push(1_000n * MS, 0);
    s.reset();
    const [first] = s.push(5_013n * MS, 1);
    assert.ok(first?.kind === 'frame');
    assert.equal(first.tick, 0n);
    assert.equal(s.tickNs(1n), 5_263n * MS);
  });
});

describe('FrameThrottle (camera relay rate)', () => {
  it('passes 8 frames per second out of a 15 Hz camera', () => {
    const throttle = FrameThrottle.fromRateHz(8);
    const passed = cameraStamps(15, 10).filter((s) => throttle.accept(s));
    assert.ok(passed.length >= 79 && passed.length <= 81, `${passed.length} frames in 10 s`);
  });

  it('passes every frame of a jittery camera that is already at the target rate', () => {
    const throttle = FrameThrottle.fromRateHz(8);
    const stamps = cameraStamps(8, 5, 10);
    assert.equal(stamps.filter((s) => throttle.accept(s)).length, stamps.length);
  });

  it('does not let a burst through after a pause, and drops stamps that go backwards', () => {
    const throttle = FrameThrottle.fromRateHz(8);
    assert.equal(throttle.accept(1_000n * MS), true);
    assert.equal(throttle.accept(5_000n * MS), true);
    assert.equal(throttle.accept(5_030n * MS), false);
    assert.equal(throttle.accept(4_000n * MS), false);
    assert.equal(throttle.accept(5_125n * MS), true);
    assert.throws(() => FrameThrottle.fromRateHz(0), /throttle rate must be positive, got 0 Hz/);
  });
});
