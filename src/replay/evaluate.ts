import { BagError, describeError } from '../bag/errors';
import { openBag } from '../bag/reader';
import type { SvnavConfig } from '../config/schema';
import { groundPoseFromRos, between } from '../geometry/se2';
import { EvalCollector, evalTopicsFromConfig } from '../eval/collect';
import { evaluateRun } from '../eval/metrics';
import type { EvalReport } from '../eval/report';
import type { Odometry, Quaternion, Vector3 } from '../messages/ros';
import { nsToSeconds, stampToNs, type TimeNs } from '../messages/time';

interface TfMessage {
  transforms: {
    header: { stamp: { sec: number; nanosec: number }; frame_id: string };
    child_frame_id: string;
    transform: { translation: Vector3; rotation: Quaternion };
  }[];
}

const TF_TOPIC = '/tf';

/**
 * Odometry from TF when a bag has no nav_msgs/Odometry: the odom→base transforms become poses, and the
 * body velocities (for the stop checks) are finite differences of consecutive poses.
 */
export class TfOdometry {
  readonly #baseFrameId: string;
  readonly #out: { stampNs: TimeNs; msg: Odometry }[] = [];

  constructor(baseFrameId: string) {
    this.#baseFrameId = baseFrameId;
  }

  add(message: TfMessage): void {
    for (const tf of message.transforms ?? []) {
      if (tf.child_frame_id !== this.#baseFrameId) continue;
      const stampNs = stampToNs(tf.header.stamp);
      const pose = { position: { ...tf.transform.translation }, orientation: { ...tf.transform.rotation } };
      const prev = this.#out[this.#out.length - 1];
      let twist = { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } };
      if (prev && stampNs > prev.stampNs) {
        const a = groundPoseFromRos(prev.msg.pose.pose);
        const b = groundPoseFromRos(pose);
        const dt = nsToSeconds(stampNs - prev.stampNs);
        if (!('error' in a) && !('error' in b)) {
          const d = between(a, b);
          twist = {
            linear: { x: d.x_m / dt, y: d.y_m / dt, z: 0 },
            angular: { x: 0, y: 0, z: d.theta_rad / dt },
          };
        }
      }
      this.#out.push({
        stampNs,
        msg: {
          header: { stamp: tf.header.stamp, frame_id: tf.header.frame_id },
          child_frame_id: tf.child_frame_id,
          pose: { pose, covariance: [] },
          twist: { twist, covariance: [] },
        },
      });
    }
  }

  get messages(): readonly { stampNs: TimeNs; msg: Odometry }[] {
    return this.#out;
  }
}

export interface BagEvaluation {
  readonly report: EvalReport;
  /** Damage met while reading (the report covers what came before it). */
  readonly damage: BagError | undefined;
  readonly odometrySource: 'odometry' | 'tf' | 'none';
}

/**
 * Evaluates one bag (a replay's output, or a robot recording with plans): plans, Twists, statuses and odometry
 * read back by topic (names from the configuration), odometry from TF when the bag has none.
 */
export async function evaluateBag(
  path: string,
  config: SvnavConfig,
  options: { onWarning?: (warning: BagError) => void; source?: string } = {},
): Promise<BagEvaluation> {
  const topics = evalTopicsFromConfig(config);
  const collector = new EvalCollector(options.source ?? path, topics);
  const tf = new TfOdometry(config.planner.base_frame_id);
  const reader = await openBag(path, options.onWarning ? { onWarning: options.onWarning } : {});
  let damage: BagError | undefined;
  let odometryCount = 0;
  try {
    for await (const m of reader.messages({ topics: [...collector.topicList, TF_TOPIC] })) {
      if (m.topic === TF_TOPIC && m.topic !== topics.odom) tf.add(m.message as TfMessage);
      else {
        if (m.topic === topics.odom) odometryCount++;
        collector.add(m);
      }
    }
  } catch (err) {
    damage = err instanceof BagError ? err : new BagError(describeError(err), path);
  } finally {
    await reader.close();
  }
  let odometrySource: BagEvaluation['odometrySource'] = odometryCount > 0 ? 'odometry' : 'none';
  if (odometryCount === 0 && tf.messages.length > 0) {
    odometrySource = 'tf';
    for (const o of tf.messages) collector.add({ topic: topics.odom, logTimeNs: o.stampNs, message: o.msg });
  }
  const input = collector.input();
  const notes = [...(input.notes ?? [])];
  if (odometrySource === 'tf') notes.push(`no ${topics.odom} messages: odometry taken from ${TF_TOPIC}`);
  if (odometrySource === 'none')
    notes.push(`no ${topics.odom} or ${TF_TOPIC} odometry: plans cannot be scored`);
  if (damage) notes.push(`bag damaged, evaluated up to the damage: ${damage.message}`);
  const report = evaluateRun(
    { ...input, notes },
    { odomTopic: odometrySource === 'tf' ? TF_TOPIC : topics.odom, cmdVelTopic: topics.cmdVel },
  );
  return { report, damage, odometrySource };
}
