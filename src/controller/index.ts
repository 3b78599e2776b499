/**
 * The pure controller: domain plans (geometry/trajectory.ts), odometry samples and time in, body twists out.
 * It knows no message layout; the controller node converts at the boundary.
 */
export {
  controlPeriodNs,
  controllerStatus,
  controllerStep,
  initialControllerState,
  statusChangeKey,
} from './controller';
export type {
  ControllerEvent,
  ControllerMode,
  ControllerParams,
  ControllerState,
  ControllerStatus,
  ControllerStep,
  TrackingMode,
} from './controller';
export { clampVelocity, isZeroTwist, limitAcceleration } from './limits';
export type { AccelerationLimits, VelocityLimits } from './limits';
export {
  IMMEDIATE_STOP_KINDS,
  activeStopReason,
  describeStop,
  initialSafetyInputs,
  isExternalStop,
  isImmediateStop,
  updateArrival,
} from './safety';
export type { ArrivalState, PlannerLiveness, SafetyInputs, StopKind, StopReason } from './safety';
export { robotInPlanFrame, trackingCommand } from './tracking';
export type { TrackingCommand, TrackingGains } from './tracking';
