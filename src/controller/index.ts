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
export type { ArrivalState, SafetyInputs, StopKind, StopReason } from './safety';
export {
  IDENTITY_POSE,
  ZERO_TWIST,
  between,
  compose,
  groundPoseFromRos,
  integrateTwist,
  inverse,
  isFinitePose,
  isFiniteTwist,
  twistBetween,
  wrapAngle,
  yawFromQuaternion,
} from '../geometry/se2';
export type { BodyTwist, Pose2D } from '../geometry/se2';
export { robotInPlanFrame, trackingCommand } from './tracking';
export type { TrackingCommand, TrackingGains } from './tracking';
export {
  InvalidPlanError,
  MAX_PLAN_STEPS,
  MAX_STEP_DT_S,
  MIN_STEP_DT_S,
  netDisplacement,
  sampleTrajectory,
  trajectoryEndNs,
  trajectoryFromPlan,
} from '../geometry/trajectory';
export type { Trajectory, TrajectorySample } from '../geometry/trajectory';
