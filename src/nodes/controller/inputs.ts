/**
 * The controller node's message boundary: each received message becomes a controller event in domain terms,
 * and a message that cannot be read becomes a `rejected` event that names the bad field, never an exception
 * and never motion.
 */
import type { ControllerEvent } from '../../controller';
import { InvalidPlanError } from '../../geometry/trajectory';
import { odometrySampleFromMsg } from '../../messages/odometry';
import { plannedPathFromMsg } from '../../messages/plan';
import type { Odometry, PlanMsg, PlannerHeartbeatMsg } from '../../messages/ros';
import type { TimeNs } from '../../messages/time';

export function planEvent(msg: PlanMsg, timeNs: TimeNs): ControllerEvent {
  try {
    return { kind: 'plan', timeNs, plan: plannedPathFromMsg(msg) };
  } catch (err) {
    if (!(err instanceof InvalidPlanError)) throw err;
    return { kind: 'rejected', timeNs, input: 'plan', detail: err.message };
  }
}

export function odometryEvent(msg: Odometry, timeNs: TimeNs): ControllerEvent {
  const odometry = odometrySampleFromMsg(msg);
  return 'error' in odometry
    ? { kind: 'rejected', timeNs, input: 'odometry', detail: odometry.error }
    : { kind: 'odometry', timeNs, odometry };
}

export function heartbeatEvent(msg: PlannerHeartbeatMsg, timeNs: TimeNs): ControllerEvent {
  return {
    kind: 'heartbeat',
    timeNs,
    heartbeat: { camera_age_s: msg.camera_age_s, episode_state: msg.episode_state },
  };
}
