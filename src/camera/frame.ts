import type { TimeNs } from '../messages/time';
import { formatStamp } from '../messages/time';

/** Height × width the networks take: square (the release's centre crop), 256×256 for the released model. */
export interface ModelResolution {
  readonly height: number;
  readonly width: number;
}

export const DEFAULT_MODEL_RESOLUTION: ModelResolution = { height: 256, width: 256 };

/** What the camera delivered, before resizing: reported by the camera contract. */
export interface FrameSource {
  readonly topic: string;
  /** sensor_msgs/Image encoding, or the CompressedImage format string. */
  readonly encoding: string;
  readonly width: number;
  readonly height: number;
}

/** One camera frame at the model resolution, interleaved RGB, 8 bits per channel. */
export interface RgbFrame {
  /** Acquisition time from the message header. */
  readonly stampNs: TimeNs;
  readonly width: number;
  readonly height: number;
  /** width × height × 3 bytes, row-major, R G B. */
  readonly rgb: Uint8Array;
  readonly source: FrameSource;
}

/** A frame the package cannot turn into model input; the message names the topic, stamp, encoding and sizes. */
export class CameraFrameError extends Error {
  constructor(
    readonly source: FrameSource & {
      readonly stampNs: TimeNs;
      readonly step?: number;
      readonly bytes: number;
    },
    readonly problem: string,
  ) {
    const step = source.step === undefined ? '' : `, step ${source.step}`;
    super(
      `camera frame on ${source.topic} at ${formatStamp(source.stampNs)} s ` +
        `(encoding "${source.encoding}", ${source.width}×${source.height}${step}, ${source.bytes} bytes): ${problem}`,
    );
    this.name = 'CameraFrameError';
  }
}

/**
 * The Wan VAE input convention: planar [3, H, W] float32, RGB, values in [-1, 1] (x / 127.5 − 1).
 * `out` lets a caller reuse one buffer per frame.
 */
export function toModelInput(frame: RgbFrame, out?: Float32Array): Float32Array {
  const plane = frame.width * frame.height;
  const size = 3 * plane;
  if (frame.rgb.length !== size) {
    throw new RangeError(
      `frame holds ${frame.rgb.length} bytes, expected ${size} for ${frame.width}×${frame.height} RGB`,
    );
  }
  const target = out ?? new Float32Array(size);
  if (target.length !== size) throw new RangeError(`output holds ${target.length} floats, expected ${size}`);
  const rgb = frame.rgb;
  const scale = 1 / 127.5;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    target[i] = rgb[p]! * scale - 1;
    target[plane + i] = rgb[p + 1]! * scale - 1;
    target[2 * plane + i] = rgb[p + 2]! * scale - 1;
  }
  return target;
}
