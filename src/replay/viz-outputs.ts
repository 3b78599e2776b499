import type { Subscription } from 'rxjs';
import { cameraInfoTopicFor } from '../camera/intrinsics';
import type { SvnavConfig } from '../config/schema';
import { RosTypes, type Image, type Odometry, type PlanMsg } from '../messages/ros';
import { trajectoryFromPlanMsg } from '../messages/plan';
import { stampToNs } from '../messages/time';
import type { Publisher, Transport } from '../transport/transport';
import {
  cameraMountFromConfig,
  intrinsicsFromCameraInfo,
  intrinsicsFromHfov,
  type CameraInfoLike,
  type CameraMount,
  type PinholeIntrinsics,
} from '../viz/camera';
import { frameTransforms, pathImageAnnotations, pathPosesInFrame, pathSceneUpdate } from '../viz/foxglove';
import { VIZ_TOPICS, VIZ_TOPIC_TYPES } from '../viz/topics';

/**
 * Foxglove views of what the nodes do, published on the viz topics: each delivered plan as PosesInFrame, a
 * SceneUpdate line and ImageAnnotations over the camera image; odometry and the camera mount as
 * FrameTransforms so the 3D panel can place them. Reads only topics, so it sees plans when the controller does.
 */
export class VizOutputs {
  readonly #t: Transport;
  readonly #config: SvnavConfig;
  readonly #mount: CameraMount;
  readonly #subscriptions: Subscription[] = [];
  readonly #warned = new Set<string>();
  #pub: Record<'poses' | 'scene' | 'annotations' | 'transforms', Publisher<unknown>> | undefined;
  #odomFrameId = 'odom';
  /** Child frames /tf already carries: publishing them again would give Foxglove two sources of one frame. */
  readonly #onTf = new Set<string>();
  #intrinsics: PinholeIntrinsics | undefined;
  #fromCameraInfo = false;

  constructor(transport: Transport, config: SvnavConfig) {
    this.#t = transport;
    this.#config = config;
    this.#mount = cameraMountFromConfig(config.camera);
  }

  start(): void {
    const t = this.#t;
    const publisher = (topic: keyof typeof VIZ_TOPIC_TYPES) =>
      t.createPublisher<unknown>(topic, VIZ_TOPIC_TYPES[topic]);
    this.#pub = {
      poses: publisher(VIZ_TOPICS.pathPoses),
      scene: publisher(VIZ_TOPICS.pathScene),
      annotations: publisher(VIZ_TOPICS.pathAnnotations),
      transforms: publisher(VIZ_TOPICS.transforms),
    };
    const { planner, controller, camera } = this.#config;
    this.#listen<PlanMsg>(planner.plan_topic, RosTypes.Plan, (m) => this.#onPlan(m));
    this.#listen<Odometry>(controller.odom_topic, RosTypes.Odometry, (m) => this.#onOdometry(m));
    this.#listen<{ transforms: readonly { child_frame_id: string }[] }>('/tf', RosTypes.TFMessage, (m) => {
      for (const t of m.transforms) this.#onTf.add(t.child_frame_id);
    });
    this.#listen<CameraInfoLike>(cameraInfoTopicFor(camera.topic), RosTypes.CameraInfo, (m) => {
      this.#intrinsics = intrinsicsFromCameraInfo(m);
      this.#fromCameraInfo = true;
    });
    if (camera.type === RosTypes.Image) {
      this.#listen<Image>(camera.topic, camera.type, (m) => {
        if (!this.#fromCameraInfo)
          this.#intrinsics ??= intrinsicsFromHfov(m.width, m.height, camera.hfov_deg);
      });
    }
  }

  stop(): void {
    for (const s of this.#subscriptions.splice(0)) s.unsubscribe();
    for (const p of Object.values(this.#pub ?? {})) p.close();
  }

  #listen<T>(topic: string, type: string, on: (m: T) => void): void {
    this.#subscriptions.push(
      this.#t.subscribe<T>(topic, type).subscribe((m) => {
        try {
          on(m);
        } catch (err) {
          this.#warnOnce(`viz: ${topic}: ${(err as Error).message}`);
        }
      }),
    );
  }

  #onPlan(msg: PlanMsg): void {
    const path = trajectoryFromPlanMsg(msg, { odomFrameId: this.#odomFrameId });
    this.#pub?.poses.publish(pathPosesInFrame(path));
    this.#pub?.scene.publish(pathSceneUpdate(path));
    if (this.#intrinsics) {
      this.#pub?.annotations.publish(
        pathImageAnnotations(path, { mount: this.#mount, intrinsics: this.#intrinsics }),
      );
    }
  }

  #onOdometry(msg: Odometry): void {
    if (msg.header.frame_id) this.#odomFrameId = msg.header.frame_id;
    this.#pub?.transforms.publish(
      frameTransforms({
        ...(this.#onTf.has(msg.child_frame_id) ? {} : { odometry: msg }),
        mount: {
          camera: this.#mount,
          baseFrameId: msg.child_frame_id || this.#config.planner.base_frame_id,
          stampNs: stampToNs(msg.header.stamp),
        },
      }),
    );
  }

  #warnOnce(message: string): void {
    const key = message.replace(/[\d.]+/g, '#');
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#t.log.warn(message);
  }
}
