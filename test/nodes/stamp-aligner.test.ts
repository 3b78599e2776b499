import { strict as assert } from 'node:assert';
import { OdometryBuffer } from '../../src/nodes/planner/odometry-buffer';
import { StampAligner } from '../../src/nodes/planner/stamp-aligner';
import type { Odometry } from '../../src/messages/ros';
import { nsToStamp } from '../../src/messages/time';

const S = 1_000_000_000n;

describe('StampAligner: message stamps onto the node clock', () => {
  it('keeps stamps within 1 s of the clock unchanged', () => {
    const a = new StampAligner('camera');
    assert.deepEqual(a.align(1000n * S - 300_000_000n, 1000n * S), { stampNs: 1000n * S - 300_000_000n });
  });

  it('shifts days-old stamps (a bag on wall time) by one constant offset, keeping their spacing', () => {
    const a = new StampAligner('camera');
    const first = a.align(10n * S, 900_000n * S);
    assert.equal(first.stampNs, 900_000n * S);
    assert.match(first.notice ?? '', /camera stamps are 899990\.000 s off/);
    const next = a.align(10n * S + 100_000_000n, 900_000n * S + 130_000_000n);
    assert.deepEqual(next, { stampNs: 900_000n * S + 100_000_000n });
  });

  it('re-aligns when a looped bag jumps back, so stamps keep moving forward', () => {
    const a = new StampAligner('camera');
    a.align(10n * S, 1000n * S);
    const beforeLoop = a.align(18n * S, 1008n * S).stampNs;
    const afterLoop = a.align(10n * S, 1008n * S + 200_000_000n);
    assert.ok(afterLoop.notice);
    assert.ok(afterLoop.stampNs > beforeLoop);
  });

  it('leaves stamps alone before a simulated clock has started (time 0)', () => {
    assert.deepEqual(new StampAligner('camera').align(5n * S, 0n), { stampNs: 5n * S });
  });
});

describe('OdometryBuffer on a new time base', () => {
  const odom = (ns: bigint): Odometry =>
    ({
      header: { stamp: nsToStamp(ns), frame_id: 'odom' },
      child_frame_id: 'base_link',
      pose: {
        pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
        covariance: [],
      },
      twist: { twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, covariance: [] },
    }) as unknown as Odometry;

  it('refuses a slightly older stamp but starts over after a jump back longer than its span', () => {
    const b = new OdometryBuffer(2n * S);
    assert.equal(b.push(odom(100n * S)), undefined);
    assert.match(b.push(odom(100n * S - 10_000_000n)) ?? '', /not after the previous/);
    assert.equal(b.push(odom(90n * S)), undefined);
    assert.ok(b.nearest(90n * S, 1n));
    assert.equal(b.nearest(100n * S, 1n), undefined);
  });
});
