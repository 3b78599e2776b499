import { strict as assert } from 'node:assert';
import { defaultConfig } from '../../src/config';
import {
  controllerStep,
  initialControllerState,
  type ControllerEvent,
  type ControllerParams,
  type ControllerState,
  type ControllerStep,
} from '../../src/controller';
import type { PlannedPath } from '../../src/geometry/trajectory';
import { NS_PER_S, type TimeNs } from '../../src/messages/time';
import { MS } from './fixtures';

const T0 = 10n * NS_PER_S;
const params: ControllerParams = defaultConfig();
function plan(change: Partial<PlannedPath> = {}): PlannedPath {
  return {
    sequence: 1,
    episodeId: 'episode-1',
    stampNs: T0,
    baseFrameId: 'base_link',
    step_dt_s: 0.25,
    steps: new Array(8).fill({ dx_m: 0.1, dy_m: 0, dtheta_rad: 0 }),
    ...change,
  };
}

/** Runs events through the pure reducer, returning every step. */
function run(state: ControllerState, events: ControllerEvent[]): ControllerStep[] {
  const steps: ControllerStep[] = [];
  for (const event of events) {
    const step = controllerStep(state, event, params);
    steps.push(step);
    state = step.state;
  }
  return steps;
}

const heartbeat = (timeNs: TimeNs): ControllerEvent => ({
  kind: 'heartbeat',
  timeNs,
  heartbeat: { camera_age_s: 0.1, episode_state: 'navigating' },
});
const tick = (timeNs: TimeNs): ControllerEvent => ({ kind: 'tick', timeNs });

/** A controller moving on `plan()` received 1 ms after start, after one tick. */
function moving(p: PlannedPath = plan()): ControllerStep {
  const steps = run(initialControllerState(T0), [
    heartbeat(T0),
    { kind: 'plan', timeNs: T0 + MS, plan: p },
    tick(T0 + 50n * MS),
  ]);
  return steps.at(-1)!;
}

describe('controllerStep on domain inputs', () => {
  it('follows a domain plan: moving, ramped at the acceleration limit towards the feed-forward twist', () => {
    const step = moving();
    assert.equal(step.state.mode, 'moving');
    assert.equal(step.state.trajectory?.sequence, 1);
    assert.deepEqual(step.twist, { vx_mps: 0.05, vy_mps: 0, wz_radps: 0 });
    assert.equal(step.state.tracking, 'feedforward');
  });

  it("uses an odometry sample for feedback against the plan's input pose", () => {
    const inputPose = { frameId: 'odom', pose: { x_m: 2, y_m: 1, theta_rad: Math.PI / 2 } };
    const start = moving(plan({ inputPose })).state;
    // 0.05 m to the robot's left of where the plan expects it (+y in the plan frame is −x in odom).
    const [, ticked] = run(start, [
      {
        kind: 'odometry',
        timeNs: T0 + 60n * MS,
        odometry: {
          stampNs: T0 + 60n * MS,
          pose: { x_m: 1.95, y_m: 1, theta_rad: Math.PI / 2 },
          twist: { vx_mps: 0, vy_mps: 0, wz_radps: 0 },
        },
      },
      tick(T0 + 100n * MS),
    ]);
    assert.equal(ticked!.state.tracking, 'feedback');
    assert.ok(ticked!.twist!.vy_mps < 0, `steers right towards the path, vy = ${ticked!.twist!.vy_mps}`);
  });

  it("stops at once on a rejected plan or odometry message, with the converter's words", () => {
    for (const [input, kind, notice] of [
      ['plan', 'invalid_plan', 'invalid plan: dx_m[3] = NaN: not a finite number'],
      ['odometry', 'invalid_odometry', 'odometry rejected: pose position.y is NaN'],
    ] as const) {
      const detail = notice.replace('odometry rejected: ', '');
      const step = controllerStep(
        moving().state,
        { kind: 'rejected', timeNs: T0 + 60n * MS, input, detail },
        params,
      );
      assert.equal(step.state.mode, 'stopped');
      assert.deepEqual(step.state.reason, { kind, detail });
      assert.deepEqual(step.twist, { vx_mps: 0, vy_mps: 0, wz_radps: 0 });
      assert.equal(step.stopMove, true);
      assert.equal(step.notice, notice);
    }
  });

  it('refuses a domain plan with a non-finite step, naming it, and keeps the current trajectory', () => {
    const steps = plan().steps.map((s, k) => (k === 3 ? { ...s, dx_m: NaN } : s));
    const step = controllerStep(
      moving().state,
      { kind: 'plan', timeNs: T0 + 60n * MS, plan: plan({ sequence: 2, stampNs: T0 + 50n * MS, steps }) },
      params,
    );
    assert.equal(step.state.mode, 'stopped');
    assert.deepEqual(step.state.reason, {
      kind: 'invalid_plan',
      detail: 'invalid plan: steps[3].dx_m = NaN: not a finite number',
    });
    assert.equal(step.state.trajectory?.sequence, 1);
  });

  it('refuses an odometry sample with non-finite numbers built in process, naming the component', () => {
    const odometry = {
      stampNs: T0,
      pose: { x_m: 0, y_m: 0, theta_rad: 0 },
      twist: { vx_mps: 0, vy_mps: Infinity, wz_radps: 0 },
    };
    const step = controllerStep(
      moving().state,
      { kind: 'odometry', timeNs: T0 + 60n * MS, odometry },
      params,
    );
    assert.deepEqual(step.state.reason, { kind: 'invalid_odometry', detail: 'vy_mps is Infinity' });
    assert.equal(step.state.odometry, undefined);
  });
});
