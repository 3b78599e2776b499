/** The geometric action source: the imagined future's floor motion as an 8-step plan (issue 14). */
export {
  estimateMotionPlan,
  estimateMotionPlanWith,
  GeometricInputError,
  PLAN_FRAMES,
  PLAN_STEPS,
  STEP_DT_S,
} from './estimate';
export type {
  EstimateOptions,
  GeometricEstimate,
  GeometricNoPlan,
  GeometricPlan,
  ImageFrame,
  MotionStep,
  PlanConfidence,
} from './estimate';
export type { StepConfidence } from './step';
export { cameraModel, centreSquareCrop } from './camera-model';
export type { CameraModel, CameraModelOptions } from './camera-model';
export { pixelToGround, groundToPixel } from './ground';
export { checkAgainstOdometry } from './odometry-check';
export type { MeasuredVelocity, OdometryCheck } from './odometry-check';
export { DEFAULT_GEOMETRIC_OPTIONS } from './options';
export type { GeometricOptions } from './options';
export { geometricOptionsFromConfig } from './config';
export { loadOpenCv, OpenCvLoadError } from './opencv';
export type { OpenCv, OpenCvRuntime } from './opencv';
export { LAST_REFERENCE_FRAME, LATENTS_FOR_PLAN } from './decoded';
