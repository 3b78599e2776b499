import { strict as assert } from 'node:assert';
import { defaultConfig } from '../../src/config';
import {
  activeStopReason,
  describeStop,
  initialSafetyInputs,
  updateArrival,
  type SafetyInputs,
} from '../../src/controller';
import { isEndedEpisodeState } from '../../src/controller/safety';
import { NS_PER_S } from '../../src/messages/time';
import { MS } from './fixtures';

const config = defaultConfig().safety;
const T0 = 10n * NS_PER_S;

/** All clear at T0: fresh heartbeat and camera, a plan received now that runs 2 s. */
function healthy(): SafetyInputs {
  return {
    ...initialSafetyInputs(T0 - NS_PER_S),
    heartbeat: { receivedNs: T0, camera_age_s: 0.1, episode_state: 'navigating' },
    plan: { receivedNs: T0, endNs: T0 + 2n * NS_PER_S, sequence: 4, episodeId: 'e1' },
  };
}

describe('safety supervisor conditions', () => {
  it('allows motion when every input is fresh', () => {
    assert.equal(activeStopReason(healthy(), T0 + 100n * MS, config), undefined);
  });

  it('counts the heartbeat timeout from start-up when no heartbeat ever came', () => {
    const inputs = initialSafetyInputs(T0);
    assert.deepEqual(activeStopReason(inputs, T0 + 500n * MS, config), { kind: 'waiting_for_plan' });
    assert.deepEqual(activeStopReason(inputs, T0 + 600n * MS, config), {
      kind: 'planner_heartbeat_lost',
      heartbeat_age_s: 0.6,
    });
  });

  it('ages the camera age reported by the heartbeat by the heartbeat age', () => {
    const inputs = {
      ...healthy(),
      heartbeat: { receivedNs: T0, camera_age_s: 0.7, episode_state: 'navigating' },
    };
    assert.equal(activeStopReason(inputs, T0 + 300n * MS, config), undefined);
    const r = activeStopReason(inputs, T0 + 400n * MS, config);
    assert.equal(r?.kind, 'camera_stale');
    assert.ok(Math.abs((r as { camera_age_s: number }).camera_age_s - 1.1) < 1e-9);
  });

  it('treats a NaN camera age as stale', () => {
    const inputs = {
      ...healthy(),
      heartbeat: { receivedNs: T0, camera_age_s: NaN, episode_state: 'navigating' },
    };
    assert.equal(activeStopReason(inputs, T0, config)?.kind, 'camera_stale');
  });

  it('stops on a planner episode that is stuck, failed or cancelled', () => {
    for (const episode_state of ['stuck', 'failed', 'cancelled']) {
      const inputs = { ...healthy(), heartbeat: { receivedNs: T0, camera_age_s: 0.1, episode_state } };
      assert.deepEqual(activeStopReason(inputs, T0, config), { kind: 'episode_ended', episode_state });
    }
  });

  it('lets an idle, navigating or arrived episode and an unknown or prototype-named state drive on', () => {
    for (const episode_state of ['idle', 'navigating', 'arrived', 'paused', 'toString', '__proto__', '']) {
      assert.equal(isEndedEpisodeState(episode_state), false, episode_state);
      const inputs = { ...healthy(), heartbeat: { receivedNs: T0, camera_age_s: 0.1, episode_state } };
      assert.notEqual(activeStopReason(inputs, T0, config)?.kind, 'episode_ended', episode_state);
    }
    assert.equal(isEndedEpisodeState('stuck'), true);
  });

  it('reports plan timeout and exhaustion from the plan it received', () => {
    /** Inputs at time t with a heartbeat that just arrived, so only the plan can stop the robot. */
    const at = (inputs: SafetyInputs, t: bigint) => ({
      ...inputs,
      heartbeat: { ...inputs.heartbeat!, receivedNs: t },
    });
    const late = { ...healthy(), plan: { ...healthy().plan!, endNs: T0 + 5n * NS_PER_S } };
    assert.equal(activeStopReason(at(late, T0 + 2000n * MS), T0 + 2000n * MS, config), undefined);
    assert.deepEqual(activeStopReason(at(late, T0 + 2500n * MS), T0 + 2500n * MS, config), {
      kind: 'plan_timeout',
      plan_age_s: 2.5,
    });
    assert.equal(activeStopReason(at(healthy(), T0 + 1999n * MS), T0 + 1999n * MS, config), undefined);
    assert.deepEqual(
      activeStopReason(at(healthy(), T0 + 2000n * MS), T0 + 2000n * MS, { ...config, plan_timeout_s: 9 }),
      {
        kind: 'trajectory_exhausted',
        plan_sequence: 4,
      },
    );
  });

  it('ranks terminal faults over the e-stop over rejected input over everything else', () => {
    const all: SafetyInputs = {
      ...initialSafetyInputs(T0),
      estopEngaged: true,
      rejected: { kind: 'invalid_plan', detail: 'x' },
      terminal: { kind: 'shutdown', detail: 'bye' },
    };
    const at = T0 + 5n * NS_PER_S;
    assert.equal(activeStopReason(all, at, config)?.kind, 'shutdown');
    const { terminal: _t, ...noTerminal } = all;
    assert.equal(activeStopReason(noTerminal, at, config)?.kind, 'estop');
    assert.equal(activeStopReason({ ...noTerminal, estopEngaged: false }, at, config)?.kind, 'invalid_plan');
    assert.equal(
      activeStopReason({ ...noTerminal, estopEngaged: false, rejected: undefined }, at, config)?.kind,
      'planner_heartbeat_lost',
    );
  });

  it('describes each stop with its numbers', () => {
    assert.equal(
      describeStop({ kind: 'planner_heartbeat_lost', heartbeat_age_s: 0.55 }),
      'planner heartbeat lost (last one 0.550 s ago)',
    );
    assert.equal(
      describeStop({ kind: 'trajectory_exhausted', plan_sequence: 9 }),
      'trajectory of plan 9 exhausted',
    );
  });
});

describe('arrival', () => {
  const small = { distance_m: 0.01, rotation_rad: 0.02 };
  const big = { distance_m: 0.5, rotation_rad: 0 };
  const cfg = { arrival_displacement_m: 0.05, arrival_rotation_rad: 0.1, arrival_consecutive_plans: 3 };
  const run = (steps: [string, { distance_m: number; rotation_rad: number }][]) =>
    steps.reduce((a, [episode, d]) => updateArrival(a, episode, d, cfg), {
      consecutiveSmallPlans: 0,
    } as ReturnType<typeof updateArrival>);

  it('arrives after the configured number of consecutive small plans of one episode', () => {
    assert.equal(
      run([
        ['e', small],
        ['e', small],
      ]).arrivedEpisodeId,
      undefined,
    );
    assert.deepEqual(
      run([
        ['e', small],
        ['e', small],
        ['e', small],
      ]),
      {
        episodeId: 'e',
        consecutiveSmallPlans: 3,
        arrivedEpisodeId: 'e',
      },
    );
  });

  it('restarts the count after a plan that moves, or in a new episode', () => {
    assert.equal(
      run([
        ['e', small],
        ['e', big],
        ['e', small],
        ['e', small],
      ]).arrivedEpisodeId,
      undefined,
    );
    assert.equal(
      run([
        ['e', small],
        ['e', small],
        ['f', small],
      ]).consecutiveSmallPlans,
      1,
    );
  });

  it('does not take turning on the spot for arrival', () => {
    const turn = { distance_m: 0, rotation_rad: 0.8 };
    assert.equal(
      run([
        ['e', turn],
        ['e', turn],
        ['e', turn],
      ]).arrivedEpisodeId,
      undefined,
    );
  });

  it('keeps the arrival latched for the episode and forgets it in the next', () => {
    assert.equal(
      run([
        ['e', small],
        ['e', small],
        ['e', small],
        ['e', big],
      ]).arrivedEpisodeId,
      'e',
    );
    assert.equal(
      run([
        ['e', small],
        ['e', small],
        ['e', small],
        ['f', big],
      ]).arrivedEpisodeId,
      undefined,
    );
  });
});
