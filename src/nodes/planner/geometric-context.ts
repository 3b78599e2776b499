import { intrinsicsFromCameraInfo, type CameraInfoLike } from '../../camera/intrinsics';
import type { FrameSource } from '../../camera/frame';
import type { CameraConfig, PlannerConfig } from '../../config/schema';
import type { Odometry } from '../../messages/ros';
import { cameraModel, type CameraModel } from '../../planner/actions/geometric/camera-model';
import { cameraMountFromConfig } from '../../camera/mount';
import { geometricOptionsFromConfig } from '../../planner/actions/geometric/config';
import type { GeometricContext } from '../../planner/stages/action';

/**
 * What the geometric action source needs from the robot, kept current by the planner node: the camera model (from
 * the camera's CameraInfo when one has arrived, else the configured field of view on the frames' real size — the
 * log says which) and the robot's measured body velocity, the estimate's scale check.
 */
export class GeometricInputs {
  readonly #camera: CameraConfig;
  readonly #options: ReturnType<typeof geometricOptionsFromConfig>;
  readonly #size: number;
  readonly #log: (line: string) => void;
  #info: CameraInfoLike | undefined;
  #source: { width: number; height: number } | undefined;
  #model: CameraModel | undefined;
  #velocity: { vx_mps: number; vy_mps: number } | undefined;

  constructor(camera: CameraConfig, planner: PlannerConfig, modelSize: number, log: (line: string) => void) {
    this.#camera = camera;
    this.#options = geometricOptionsFromConfig(planner);
    this.#size = modelSize;
    this.#log = log;
  }

  /** A CameraInfo of the camera; a malformed one is reported and not used. */
  onCameraInfo(info: CameraInfoLike): string | undefined {
    try {
      intrinsicsFromCameraInfo(info);
    } catch (err) {
      return (err as Error).message;
    }
    const changed =
      !this.#info ||
      this.#info.width !== info.width ||
      Array.from(this.#info.k).join() !== Array.from(info.k).join();
    this.#info = info;
    if (changed) this.#model = undefined;
    return undefined;
  }

  /** The size of the camera's frames (before the centre crop). */
  onFrame(source: Pick<FrameSource, 'width' | 'height'>): void {
    if (this.#source?.width === source.width && this.#source.height === source.height) return;
    this.#source = { width: source.width, height: source.height };
    this.#model = undefined;
  }

  onOdometry(msg: Odometry): void {
    const { x, y } = msg.twist.twist.linear;
    this.#velocity = Number.isFinite(x) && Number.isFinite(y) ? { vx_mps: x, vy_mps: y } : undefined;
  }

  /** The context for the next plan, or undefined before the first frame (no camera size yet). */
  context(): GeometricContext | undefined {
    const model = this.#cameraModel();
    if (!model) return undefined;
    return { camera: model, options: this.#options, ...(this.#velocity ? { odometry: this.#velocity } : {}) };
  }

  #cameraModel(): CameraModel | undefined {
    if (this.#model || !this.#source) return this.#model;
    this.#model = cameraModel({
      cameraInfo: this.#info,
      hfov_deg: this.#camera.hfov_deg,
      sourceWidth_px: this.#source.width,
      sourceHeight_px: this.#source.height,
      mount: cameraMountFromConfig(this.#camera),
      size_px: this.#size,
    });
    this.#log(`geometric action source: ${this.#model.description}`);
    return this.#model;
  }
}
