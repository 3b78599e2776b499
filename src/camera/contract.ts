import type { CameraConfig } from '../config';
import { nsToSeconds, type TimeNs } from '../messages/time';
import { frameSizeProblem, RAW_ENCODINGS } from './decode';
import type { ModelResolution } from './frame';

/**
 * The camera contract: what the model assumes about its camera (an encoding it can read, a size, at least
 * 4 frames per second, stamps that move forward, a known mount), checked against what actually arrives. It is
 * established on the first frames and re-reported whenever it changes, as one diagnostic line, so that a wrong
 * topic, encoding or rate shows up as a clear message instead of silent garbage in the plans.
 */

export type CameraMessageType = CameraConfig['type'];

export interface CameraContractOptions {
  readonly topic: string;
  readonly type: CameraMessageType;
  readonly resolution: ModelResolution;
  readonly mountHeightM: number;
  readonly mountPitchRad: number;
  /** The model's frame rate (SYSTEM.md §1): 4 FPS. */
  readonly requiredRateHz?: number;
  /** Stamps used to measure the rate (sliding window); default 10. */
  readonly rateWindow?: number;
  /** Frames needed before the rate is measured and the contract first reported; default 5. */
  readonly framesToEstablish?: number;
}

/** What one arriving frame says about the camera (for compressed images: the decoded header's size). */
export interface CameraObservation {
  readonly stampNs: TimeNs;
  /** Image encoding, or the CompressedImage format string. */
  readonly encoding: string;
  readonly width: number;
  readonly height: number;
}

export interface CameraContractReport {
  /** False when the model cannot be fed correctly: nothing should be planned from this camera. */
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  /** Measured frame rate, undefined until enough frames arrived. */
  readonly rateHz: number | undefined;
  /** One line for the log and the planner status. */
  readonly message: string;
}

/** A frame rate within 5 % below the requirement still counts (camera clocks and stamps jitter). */
const RATE_TOLERANCE = 0.95;

export class CameraContract {
  readonly #options: Required<CameraContractOptions>;
  #stamps: TimeNs[] = [];
  #format: string | undefined;
  #state: string | undefined;
  #backwards: string | undefined;
  #last: CameraContractReport | undefined;

  constructor(options: CameraContractOptions) {
    this.#options = { requiredRateHz: 4, rateWindow: 10, framesToEstablish: 5, ...options };
    if (this.#options.framesToEstablish < 2) throw new RangeError('framesToEstablish must be at least 2');
  }

  static fromConfig(camera: CameraConfig, resolution: ModelResolution): CameraContract {
    return new CameraContract({
      topic: camera.topic,
      type: camera.type,
      resolution,
      mountHeightM: camera.mount_height_m,
      mountPitchRad: camera.mount_pitch_rad,
    });
  }

  /** The latest report (undefined until the contract is established). */
  get report(): CameraContractReport | undefined {
    return this.#last;
  }

  /** Feeds one frame's facts; returns a report when the contract is first established or has changed. */
  observe(frame: CameraObservation): CameraContractReport | undefined {
    const format = `${frame.encoding} ${frame.width}×${frame.height}`;
    if (this.#format !== undefined && format !== this.#format) this.#stamps = [];
    this.#format = format;
    const previous = this.#stamps[this.#stamps.length - 1];
    this.#backwards = undefined;
    if (previous !== undefined && frame.stampNs <= previous) {
      this.#backwards =
        `stamps went backwards: ${nsToSeconds(frame.stampNs).toFixed(3)} s after ${nsToSeconds(previous).toFixed(3)} s ` +
        '(a restarted camera driver or a clock jump; the 4 FPS sampler drops such frames)';
      this.#stamps = [];
    }
    this.#stamps.push(frame.stampNs);
    if (this.#stamps.length > this.#options.rateWindow) this.#stamps.shift();

    const immediateProblem = this.#backwards !== undefined || this.#formatProblem(frame) !== undefined;
    if (
      this.#stamps.length < this.#options.framesToEstablish &&
      !immediateProblem &&
      this.#last === undefined
    ) {
      return undefined;
    }
    const report = this.#evaluate(frame);
    // Compare kinds of problem, not their texts: a rate hovering at 3.7–3.9 Hz must not re-report every frame.
    const slow = report.problems.some((p) => p.startsWith('camera rate'));
    const state = `${format}|measured=${report.rateHz !== undefined}|slow=${slow}|${this.#formatProblem(frame) ?? ''}`;
    if (state === this.#state && this.#backwards === undefined) return undefined;
    this.#state = state;
    this.#last = report;
    return report;
  }

  /** Frames per second over the stamp window, undefined with fewer than two stamps. */
  measuredRateHz(): number | undefined {
    const n = this.#stamps.length;
    if (n < 2) return undefined;
    const span = nsToSeconds(this.#stamps[n - 1]! - this.#stamps[0]!);
    return span > 0 ? (n - 1) / span : undefined;
  }

  #formatProblem(frame: CameraObservation): string | undefined {
    if (frame.width <= 0 || frame.height <= 0) return `zero-sized frames (${frame.width}×${frame.height})`;
    if (this.#options.type === 'sensor_msgs/msg/Image' && !RAW_ENCODINGS[frame.encoding]) {
      return `encoding "${frame.encoding}" is not supported (use ${Object.keys(RAW_ENCODINGS).join(', ')})`;
    }
    if (this.#options.type === 'sensor_msgs/msg/CompressedImage' && !/jpe?g|png/i.test(frame.encoding)) {
      return `compressed format "${frame.encoding}" is not supported (use jpeg or png)`;
    }
    return frameSizeProblem(frame.width, frame.height, this.#options.resolution);
  }

  #evaluate(frame: CameraObservation): CameraContractReport {
    const o = this.#options;
    const problems: string[] = [];
    const warnings: string[] = [];
    const formatProblem = this.#formatProblem(frame);
    if (formatProblem) problems.push(formatProblem);
    if (this.#backwards) problems.push(this.#backwards);
    const enough = this.#stamps.length >= o.framesToEstablish;
    const rateHz = enough ? this.measuredRateHz() : undefined;
    if (rateHz !== undefined && rateHz < o.requiredRateHz * RATE_TOLERANCE) {
      problems.push(
        `camera rate ${rateHz.toFixed(1)} Hz is below the ${o.requiredRateHz} FPS the model needs ` +
          '(its frame stream would have gaps; raise the camera or relay rate)',
      );
    }
    const { width: W, height: H } = o.resolution;
    if (!formatProblem && (frame.width < W || frame.height < H)) {
      warnings.push(
        `frames ${frame.width}×${frame.height} are upscaled to the model's ${W}×${H} (blurry input)`,
      );
    }
    const rate = rateHz === undefined ? 'rate not measured yet' : `${rateHz.toFixed(1)} Hz`;
    const resize = formatProblem
      ? ''
      : ` → model ${W}×${H} (${describeCover(frame.width, frame.height, o.resolution)})`;
    const mount = `mount ${o.mountHeightM.toFixed(2)} m, pitch ${o.mountPitchRad.toFixed(2)} rad`;
    const verdict =
      problems.length > 0
        ? `PROBLEM: ${problems.join('; ')}`
        : warnings.length > 0
          ? `ok, but ${warnings.join('; ')}`
          : 'ok';
    const message =
      `camera ${o.topic} (${o.type}): ${frame.encoding} ${frame.width}×${frame.height} at ${rate}` +
      `${resize}; ${mount}; ${verdict}`;
    return { ok: problems.length === 0, problems, warnings, rateHz, message };
  }
}

/** The cover + centre-crop resize of decode.ts, in words: how many source pixels are cut off. */
export function describeCover(width: number, height: number, resolution: ModelResolution): string {
  const scale = Math.max(resolution.width / width, resolution.height / height);
  const cropX = Math.round(width - resolution.width / scale);
  const cropY = Math.round(height - resolution.height / scale);
  return `cover ×${scale.toFixed(3)}, centre crop ${cropX}×${cropY} source px`;
}
