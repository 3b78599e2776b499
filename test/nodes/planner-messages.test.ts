import { strict as assert } from 'node:assert';
import { InvalidPlanError } from '../../src/geometry/trajectory';
import { stampToNs } from '../../src/messages/time';
import { pathMessage, type InputPose } from '../../src/nodes/planner/messages';
import type { Episode } from '../../src/nodes/planner/episode';
import type { Action, Plan } from '../../src/planner/plan';

const STAMP = 1_700_000_010_250_000_000n;
const QUARTER_S = 250_000_000n;

const episode: Episode = {
  id: 'episode-1',
  state: 'navigating',
  instruction: 'walk forward',
  count: 1,
  plans: 0,
  failedPlansInRow: 0,
};

function plan(actions: Action[], stepDtS = 0.25): Plan {
  return {
    ok: true,
    sequence: 4,
    inputStampNs: STAMP,
    instruction: 'walk forward',
    actions,
    actionSource: 'learned',
    stepDtS,
    futureLatents: new Float32Array(0),
    futureDims: [0, 0, 0, 0],
    referenceChunks: 1,
    futureOffsets: [],
    historyChunks: 1,
    historyDroppedChunks: 0,
    timings: { encodeMs: 0, historyMs: 0, textMs: 0, ditMs: 0, actionMs: 0, totalMs: 0 },
  };
}

// Forward 0.1 m while turning left a quarter, then 0.1 m ahead in the new heading (+y).
const TURN_THEN_AHEAD: Action[] = [
  { dx_m: 0.1, dy_m: 0, dtheta_rad: Math.PI / 2 },
  { dx_m: 0.1, dy_m: 0, dtheta_rad: 0 },
];

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

describe('planner node messages: the plan as nav_msgs/Path', () => {
  it('stamps the start and one pose per action at the instant it should be reached, in the base frame', () => {
    const path = pathMessage(plan(TURN_THEN_AHEAD), {
      episode,
      baseFrameId: 'base_link',
      inputPose: undefined,
    });
    assert.equal(path.header.frame_id, 'base_link');
    assert.equal(stampToNs(path.header.stamp), STAMP);
    assert.deepEqual(
      path.poses.map((p) => [p.header.frame_id, stampToNs(p.header.stamp) - STAMP]),
      [
        ['base_link', 0n],
        ['base_link', QUARTER_S],
        ['base_link', 2n * QUARTER_S],
      ],
    );
    const [, p1, p2] = path.poses.map((p) => p.pose);
    close(p1!.position.x, 0.1, 'waypoint 1 x');
    close(p1!.position.y, 0, 'waypoint 1 y');
    close(p1!.orientation.z, Math.SQRT1_2, 'waypoint 1 heading (z)');
    close(p1!.orientation.w, Math.SQRT1_2, 'waypoint 1 heading (w)');
    close(p2!.position.x, 0.1, 'waypoint 2 x');
    close(p2!.position.y, 0.1, 'waypoint 2 y');
    assert.deepEqual(path.poses[0]!.pose, {
      position: { x: 0, y: 0, z: 0 },
      orientation: { x: 0, y: 0, z: 0, w: 1 },
    });
  });

  it('places the path in the odometry frame at the input pose, at its height, when the pose is known', () => {
    const inputPose: InputPose = {
      pose: {
        position: { x: 2, y: 1, z: 0.3 },
        orientation: { x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 },
      },
      ground: { x_m: 2, y_m: 1, theta_rad: Math.PI / 2 },
      frameId: 'odom',
    };
    const path = pathMessage(plan(TURN_THEN_AHEAD), { episode, baseFrameId: 'base_link', inputPose });
    assert.equal(path.header.frame_id, 'odom');
    assert.ok(path.poses.every((p) => p.header.frame_id === 'odom' && p.pose.position.z === 0.3));
    // Facing +y in odom: the first step moves along +y, the second (after the quarter turn) along −x.
    const [p0, p1, p2] = path.poses.map((p) => p.pose.position);
    close(p0!.x, 2, 'start x');
    close(p0!.y, 1, 'start y');
    close(p1!.x, 2, 'waypoint 1 x');
    close(p1!.y, 1.1, 'waypoint 1 y');
    close(p2!.x, 1.9, 'waypoint 2 x');
    close(p2!.y, 1.1, 'waypoint 2 y');
  });

  it('refuses, naming the field, a plan the controller would refuse: no steps, or 10 s steps', () => {
    const ctx = { episode, baseFrameId: 'base_link', inputPose: undefined };
    assert.throws(
      () => pathMessage(plan([]), ctx),
      (err: unknown) => err instanceof InvalidPlanError && err.field === 'steps.length',
    );
    assert.throws(
      () => pathMessage(plan(TURN_THEN_AHEAD, 10), ctx),
      (err: unknown) => err instanceof InvalidPlanError && err.field === 'step_dt_s',
    );
  });
});
