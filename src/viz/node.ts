import type { Subscription } from 'rxjs';
import { cameraInfoTopicFor } from '../camera/intrinsics';
import type { SvnavConfig } from '../config/schema';
import { RosTypes, type Image, type Odometry, type PlanMsg } from '../messages/ros';
import { trajectoryFromPlanMsg } from '../messages/plan';
import { stampToNs } from '../messages/time';
import { Qos, type Publisher, type QosProfile, type Transport } from '../transport/transport';
import {
  intrinsicsFromCameraInfo,
  intrinsicsFromHfov,
  type CameraInfoLike,
  type PinholeIntrinsics,
} from '../camera/intrinsics';
import { cameraMountFromConfig, type CameraMount } from '../camera/mount';
import { frameTransforms, pathImageAnnotations, pathPosesInFrame, pathSceneUpdate } from './foxglove';
import { VIZ_TOPICS, VIZ_TOPIC_TYPES } from './topics';

type TfChildren = { transforms: readonly { child_frame_id: string }[] };

/**
 * The viz node: Foxglove views of what the other nodes do, published on the viz topics — each delivered plan as
 * PosesInFrame, a SceneUpdate line and ImageAnnotations over the camera image; odometry and the camera mount as
 * FrameTransforms so the 3D panel can place them. It reads only topics, so it runs the same inside
 * `svnav replay` and as `svnav node viz` beside the planner on a robot (foxglove_bridge then serves its topics).
 *
 * QoS: every viz topic is latched (transient-local, depth 1). They are derived views that only viewers read;
 * no node acts on them, so a late one can mislead nobody, and a viewer that connects late sees the last plan's
 * path and the last known robot pose and camera mount at once. The camera mount is the one static transform we
 * own; it rides on the latched transforms topic rather than /tf_static, which belongs to the robot's own TF tree. The plan is read latched too, so a viz node
 * that starts after the planner draws the current plan without waiting for the next one.
 */
export class VizNode {
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
      t.createPublisher<unknown>(topic, VIZ_TOPIC_TYPES[topic], Qos.latched);
    this.#pub = {
      poses: publisher(VIZ_TOPICS.pathPoses),
      scene: publisher(VIZ_TOPICS.pathScene),
      annotations: publisher(VIZ_TOPICS.pathAnnotations),
      transforms: publisher(VIZ_TOPICS.transforms),
    };
    const { planner, controller, camera } = this.#config;
    this.#listen<PlanMsg>(planner.plan_topic, RosTypes.Plan, Qos.latched, (m) => this.#onPlan(m));
    this.#listen<Odometry>(controller.odom_topic, RosTypes.Odometry, Qos.sensorData, (m) =>
      this.#onOdometry(m),
    );
    // Best effort reads /tf and camera_info from reliable and best-effort writers alike.
    this.#listen<TfChildren>('/tf', RosTypes.TFMessage, Qos.sensorData, (m) => {
      for (const t of m.transforms) this.#onTf.add(t.child_frame_id);
    });
    this.#listen<CameraInfoLike>(
      cameraInfoTopicFor(camera.topic),
      RosTypes.CameraInfo,
      Qos.sensorData,
      (m) => {
        this.#intrinsics = intrinsicsFromCameraInfo(m);
        this.#fromCameraInfo = true;
      },
    );
    if (camera.type === RosTypes.Image) {
      this.#listen<Image>(camera.topic, camera.type, Qos.sensorData, (m) => {
        if (!this.#fromCameraInfo)
          this.#intrinsics ??= intrinsicsFromHfov(m.width, m.height, camera.hfov_deg);
      });
    }
  }

  /** Releases its subscriptions and publishers; it commands nothing, so there is nothing to leave safe. */
  stop(): void {
    for (const s of this.#subscriptions.splice(0)) s.unsubscribe();
    for (const p of Object.values(this.#pub ?? {})) p.close();
  }

  #listen<T>(topic: string, type: string, qos: QosProfile, on: (m: T) => void): void {
    this.#subscriptions.push(
      this.#t.subscribe<T>(topic, type, qos).subscribe((m) => {
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
