import {
  CameraContract,
  CameraFrameError,
  decodeCameraMessage,
  FrameSampler,
  rawImageProblem,
  type CameraContractReport,
  type ModelResolution,
  type RgbFrame,
  type SampledFrame,
} from '../../camera';
import type { CameraConfig } from '../../config/schema';
import { RosTypes, type CompressedImage, type Image } from '../../messages/ros';
import { stampToNs, type TimeNs } from '../../messages/time';

export interface CameraSample {
  readonly msg: Image | CompressedImage;
  /** When the message arrived, on the node's clock (for the plan's latency). */
  readonly arrivalNs: TimeNs;
}

/** What one arriving message led to; the node publishes diagnostics and schedules decoding from it. */
export interface CameraIntake {
  /** The message passed the cheap checks and counts as a fresh frame (the heartbeat's camera age). */
  readonly fresh: boolean;
  /** Frames the 4 FPS sampler chose, oldest first (usually zero or one). */
  readonly sampled: SampledFrame<CameraSample>[];
  /** Problems worth a diagnostic: a bad frame, a stamp going backwards, a hole in the 4 FPS stream. */
  readonly problems: string[];
  /** The camera contract, when it was established or changed with this frame. */
  readonly contract?: CameraContractReport;
}

/**
 * The camera side of the planner: cheap validity checks on arrival, the camera contract, the 4 FPS sampler
 * (by stamp, on raw messages, so only sampled frames are ever decoded), and decoding to model resolution.
 */
export class CameraInput {
  readonly #config: CameraConfig;
  readonly #resolution: ModelResolution;
  readonly #contract: CameraContract;
  readonly #sampler = new FrameSampler<CameraSample>();
  /** Size of the last decoded compressed frame: the contract needs one and only decoding reveals it. */
  #compressedSize: { width: number; height: number } | undefined;

  constructor(config: CameraConfig, resolution: ModelResolution) {
    this.#config = config;
    this.#resolution = resolution;
    this.#contract = CameraContract.fromConfig(config, resolution);
  }

  /** The latest contract report; not ok means the model cannot be fed correctly from this camera. */
  get contract(): CameraContractReport | undefined {
    return this.#contract.report;
  }

  /** A new episode: the sampler's grid restarts at the next frame (so the encoder's first chunk is one frame). */
  resetSampler(): void {
    this.#sampler.reset();
  }

  /** Checks and samples one message. `sample` false: only checks (no episode is running). */
  intake(msg: Image | CompressedImage, arrivalNs: TimeNs, sample: boolean): CameraIntake {
    let stampNs: TimeNs;
    try {
      stampNs = stampToNs(msg.header.stamp);
    } catch {
      return {
        fresh: false,
        sampled: [],
        problems: [
          `camera frame on ${this.#config.topic}: invalid stamp ${JSON.stringify(msg.header?.stamp)}`,
        ],
      };
    }
    const problem = this.#cheapProblem(msg, stampNs);
    if (problem) return { fresh: false, sampled: [], problems: [problem.message] };

    const size = this.#isRaw(msg) ? { width: msg.width, height: msg.height } : this.#compressedSize;
    const encoding = this.#isRaw(msg) ? msg.encoding : msg.format;
    const contract = size ? this.#contract.observe({ stampNs, encoding, ...size }) : undefined;
    const problems: string[] = [];
    const sampled: SampledFrame<CameraSample>[] = [];
    const blocked = this.#contract.report !== undefined && !this.#contract.report.ok;
    if (sample && !blocked) {
      for (const event of this.#sampler.push(stampNs, { msg, arrivalNs })) {
        if (event.kind === 'frame') sampled.push(event);
        else if (event.kind === 'gap') {
          problems.push(
            `camera ${this.#config.topic}: ${event.missedTicks} model frame(s) missing at 4 FPS ` +
              `(no frame within 0.125 s of the ticks between ${event.lastStampNs} ns and ${event.nextStampNs} ns)`,
          );
        } else {
          problems.push(
            `camera ${this.#config.topic}: frame at ${event.stampNs} ns dropped: ${event.reason} ` +
              `(previous ${event.previousStampNs} ns)`,
          );
        }
      }
    }
    return { fresh: true, sampled, problems, ...(contract ? { contract } : {}) };
  }

  /** Decodes a sampled frame to model resolution; throws CameraFrameError for an undecodable image. */
  async decode(sample: CameraSample): Promise<RgbFrame> {
    const frame = await decodeCameraMessage(this.#config.type, sample.msg, {
      topic: this.#config.topic,
      resolution: this.#resolution,
    });
    if (!this.#isRaw(sample.msg)) {
      this.#compressedSize = { width: frame.source.width, height: frame.source.height };
    }
    return frame;
  }

  /** The configured type decides (the transport delivers that type); the message is only narrowed. */
  #isRaw(msg: Image | CompressedImage): msg is Image {
    return this.#config.type === RosTypes.Image && msg !== undefined;
  }

  /** What can be told without decoding: the raw layout, or a compressed format and non-empty data. */
  #cheapProblem(msg: Image | CompressedImage, stampNs: TimeNs): CameraFrameError | undefined {
    const topic = this.#config.topic;
    if (this.#isRaw(msg)) {
      const problem = rawImageProblem(msg);
      if (!problem) return undefined;
      return new CameraFrameError(
        {
          topic,
          encoding: msg.encoding,
          width: msg.width,
          height: msg.height,
          stampNs,
          step: msg.step,
          bytes: msg.data?.length ?? 0,
        },
        problem,
      );
    }
    const source = {
      topic,
      encoding: msg.format,
      width: 0,
      height: 0,
      stampNs,
      bytes: msg.data?.length ?? 0,
    };
    if (!/jpe?g|png/i.test(msg.format ?? '')) {
      return new CameraFrameError(source, 'unsupported compressed format; expected one naming jpeg or png');
    }
    if (!msg.data || msg.data.length === 0) return new CameraFrameError(source, 'no data');
    return undefined;
  }
}
