import type { Subscription } from 'rxjs';
import { CameraFrameError } from '../camera/frame';
import { compressForRelay } from '../camera/compress';
import { FrameThrottle } from '../camera/throttle';
import type { SvnavConfig } from '../config/schema';
import { RosTypes, type CompressedImage, type Image } from '../messages/ros';
import { stampToNs } from '../messages/time';
import { Qos, type Publisher, type Transport } from '../transport/transport';

/**
 * Best-effort like the camera, but a few frames deep: with depth 1, a frame that arrives while the JS thread is
 * busy (deserialising 2.7 MB, handing a JPEG to sharp) overwrites the one not yet taken, and 10 % of a 15 Hz 720p
 * stream never reached the relay on a loaded 2-core machine. The throttle picks by stamp, so a queued frame is
 * never relayed late.
 */
const CAMERA_IN = Qos.sensorData;

export interface CameraRelayStats {
  received: number;
  relayed: number;
  /** Frames skipped to hold the relay rate. */
  throttled: number;
  /** Frames skipped because the previous one was still being compressed. */
  busy: number;
  failed: number;
}

/**
 * Robot side of a split deployment: raw camera frames (bgr8 720p from the Go2 bridge) in, JPEG
 * sensor_msgs/CompressedImage out at `camera.relay_rate_hz`, downsized to `camera.relay_width_px`, with the
 * original header (stamp and frame) kept so the planner's latency compensation sees the acquisition time.
 * A raw 720p stream loses frames over Wi-Fi DDS; ≈30–60 kB JPEGs at 8 Hz do not.
 */
export class CameraRelayNode {
  readonly #transport: Transport;
  readonly #config: SvnavConfig;
  readonly #throttle: FrameThrottle;
  readonly #stats: CameraRelayStats = { received: 0, relayed: 0, throttled: 0, busy: 0, failed: 0 };
  readonly #reported = new Set<string>();
  #subscription: Subscription | undefined;
  #publisher: Publisher<CompressedImage> | undefined;
  #inFlight: Promise<void> | undefined;
  #phase: 'created' | 'running' | 'stopped' = 'created';

  constructor(transport: Transport, config: SvnavConfig) {
    this.#transport = transport;
    this.#config = config;
    this.#throttle = FrameThrottle.fromRateHz(config.camera.relay_rate_hz);
  }

  get stats(): Readonly<CameraRelayStats> {
    return { ...this.#stats };
  }

  start(): void {
    if (this.#phase !== 'created') throw new Error(`CameraRelayNode.start(): node is already ${this.#phase}`);
    const camera = this.#config.camera;
    if (camera.type !== RosTypes.Image) {
      throw new Error(
        `camera relay: camera.type is ${camera.type}; the relay compresses a raw camera, so it needs ` +
          `${RosTypes.Image} (the planner host subscribes the relay's ${camera.relay_topic} instead)`,
      );
    }
    if (camera.topic === camera.relay_topic) {
      throw new Error(`camera relay: camera.topic and camera.relay_topic are both ${camera.topic}`);
    }
    this.#phase = 'running';
    this.#publisher = this.#transport.createPublisher<CompressedImage>(
      camera.relay_topic,
      RosTypes.CompressedImage,
      Qos.sensorData,
    );
    this.#subscription = this.#transport
      .subscribe<Image>(camera.topic, RosTypes.Image, CAMERA_IN)
      .subscribe((msg) => this.#onImage(msg));
    this.#transport.log.info(
      `camera relay: ${camera.topic} (raw) → ${camera.relay_topic} (JPEG q${camera.relay_jpeg_quality}, ` +
        `${camera.relay_width_px} px wide, ${camera.relay_rate_hz} Hz)`,
    );
  }

  /** Stops taking frames, lets the frame being compressed finish, releases the publisher. Idempotent. */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.#phase === 'stopped') return;
    this.#phase = 'stopped';
    this.#subscription?.unsubscribe();
    await this.#inFlight;
    this.#publisher?.close();
    const s = this.#stats;
    this.#transport.log.info(
      `camera relay stopped (${reason}): ${s.received} frames in, ${s.relayed} relayed, ${s.throttled} over the ` +
        `rate, ${s.busy} while busy, ${s.failed} failed`,
    );
  }

  /** Resolves when the frame being compressed (if any) has been published; for tests and orderly shutdown. */
  idle(): Promise<void> {
    return this.#inFlight ?? Promise.resolve();
  }

  #onImage(msg: Image): void {
    if (this.#phase !== 'running') return;
    this.#stats.received++;
    // Check busy before the throttle so a frame skipped while busy does not use up a rate slot.
    if (this.#inFlight) {
      this.#stats.busy++;
      return;
    }
    if (!this.#throttle.accept(stampToNs(msg.header.stamp))) {
      this.#stats.throttled++;
      return;
    }
    this.#inFlight = this.#relay(msg).finally(() => {
      this.#inFlight = undefined;
    });
  }

  async #relay(msg: Image): Promise<void> {
    const camera = this.#config.camera;
    try {
      const jpeg = await compressForRelay(msg, {
        topic: camera.topic,
        widthPx: camera.relay_width_px,
        quality: camera.relay_jpeg_quality,
      });
      this.#publisher?.publish({ header: msg.header, format: jpeg.format, data: jpeg.data });
      this.#stats.relayed++;
    } catch (err) {
      this.#stats.failed++;
      // One log line per kind of problem: a camera with a wrong encoding would otherwise flood the log.
      const key = err instanceof CameraFrameError ? err.problem : (err as Error).message;
      if (!this.#reported.has(key)) {
        this.#reported.add(key);
        this.#transport.log.error(`camera relay: ${(err as Error).message}`);
      }
    }
  }
}
