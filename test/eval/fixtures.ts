import type { PlannerStatusMsg, Twist } from '../../src/messages/ros';
import { NS_PER_S, nsToStamp, secondsToNs, type TimeNs } from '../../src/messages/time';
import type { StampedOdometry } from '../../src/eval/odometry';
import type { StampedTwist } from '../../src/eval/commands';
import type { EvalInput } from '../../src/eval/metrics';
import { odometry, type Ground } from '../viz/fixtures';

export const T0 = 1_700_000_000n * NS_PER_S;

export function at(t_s: number): TimeNs {
  return T0 + secondsToNs(t_s);
}

/** Odometry sampled at `rate_hz` over [from_s, to_s] from a pose and twist as functions of time. */
export function odometryTrack(
  from_s: number,
  to_s: number,
  rate_hz: number,
  pose: (t: number) => Ground,
  twist: (t: number) => { vx?: number; vy?: number; wz?: number } = () => ({}),
): StampedOdometry[] {
  const out: StampedOdometry[] = [];
  for (let k = 0; from_s + k / rate_hz <= to_s + 1e-9; k++) {
    const t = from_s + k / rate_hz;
    const stampNs = at(t);
    out.push({ stampNs, msg: odometry(stampNs, pose(t), twist(t)) });
  }
  return out;
}

/** Driving along a straight line from `start` with heading θ at v m/s and turning at w rad/s (an arc). */
export function arcPose(start: Ground, v: number, w: number): (t: number) => Ground {
  return (t) => {
    const th = start.theta_rad + w * t;
    if (Math.abs(w) < 1e-12) {
      return { x_m: start.x_m + v * t * Math.cos(th), y_m: start.y_m + v * t * Math.sin(th), theta_rad: th };
    }
    const r = v / w;
    return {
      x_m: start.x_m + r * (Math.sin(th) - Math.sin(start.theta_rad)),
      y_m: start.y_m - r * (Math.cos(th) - Math.cos(start.theta_rad)),
      theta_rad: Math.atan2(Math.sin(th), Math.cos(th)),
    };
  };
}

export function twist(vx: number, wz = 0, vy = 0): Twist {
  return { linear: { x: vx, y: vy, z: 0 }, angular: { x: 0, y: 0, z: wz } };
}

export function commands(
  from_s: number,
  to_s: number,
  rate_hz: number,
  f: (t: number) => Twist,
): StampedTwist[] {
  const out: StampedTwist[] = [];
  for (let k = 0; from_s + k / rate_hz <= to_s + 1e-9; k++) {
    const t = from_s + k / rate_hz;
    out.push({ timeNs: at(t), twist: f(t) });
  }
  return out;
}

export function plannerStatus(plan_sequence: number, t_s: number, total_ms: number): PlannerStatusMsg {
  return {
    header: { stamp: nsToStamp(at(t_s)), frame_id: 'base_link' },
    plan_sequence,
    episode_id: 'episode-1',
    episode_state: 'navigating',
    instruction: 'walk forward',
    message: '',
    encode_ms: total_ms * 0.1,
    history_ms: total_ms * 0.1,
    text_ms: 0,
    dit_ms: total_ms * 0.7,
    action_ms: total_ms * 0.1,
    total_ms,
    history_chunks: 3,
    execution_provider: 'cpu',
    untrained_model: false,
    action_source: 'learned',
    action_confidence: -1,
  };
}

export function emptyInput(overrides: Partial<EvalInput> = {}): EvalInput {
  return {
    source: 'test.mcap',
    plans: [],
    odometry: [],
    commands: [],
    plannerStatuses: [],
    controllerStatuses: [],
    ...overrides,
  };
}
