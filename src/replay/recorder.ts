import { offeredQosYaml } from '../bag/qos';
import type { BagTopic } from '../bag/reader';
import { BagWriter } from '../bag/writer';
import { CdrCodec } from '../bag/codec';
import {
  MessageDefinitionRegistry,
  commonMsgsSource,
  findPackageMsgDir,
  foxgloveMsgsSource,
  packageMsgSource,
  PACKAGE_NAME,
} from '../bag/schemas';
import { describeError } from '../bag/errors';
import type { TimeNs } from '../messages/time';
import type { PublishedMessage } from '../transport/memory';
import type { QosProfile } from '../transport/transport';
import type { LiveView } from './options';
import { unitreeApiSource } from './unitree-msgs';

/** Definitions for everything replay records: ours, the common ROS packages, foxglove_msgs, unitree_api. */
export function replayCodec(): CdrCodec {
  const msgDir = findPackageMsgDir();
  return new CdrCodec(
    new MessageDefinitionRegistry([
      ...(msgDir ? [packageMsgSource(PACKAGE_NAME, msgDir)] : []),
      commonMsgsSource(),
      foxgloveMsgsSource(),
      unitreeApiSource(),
    ]),
  );
}

/**
 * rosbag2 `offered_qos_profiles` of the output: input topics keep the QoS they were recorded with (under their
 * recorded name); node topics get the QoS their publishers use.
 */
export function outputQosProfiles(
  inputTopics: readonly BagTopic[],
  recordedName: (topic: string) => string,
  offeredByNodes: ReadonlyMap<string, QosProfile>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of inputTopics) out[recordedName(t.name)] = t.offeredQosProfiles;
  for (const [topic, qos] of offeredByNodes) out[topic] = offeredQosYaml(qos);
  return out;
}

export interface RecorderOptions {
  readonly codec: CdrCodec;
  /** The bag may replace an existing one svnav wrote at the path. */
  readonly replace?: boolean;
  /** rosbag2 `offered_qos_profiles` per topic. */
  readonly qosProfiles: Readonly<Record<string, string>>;
  /** Also serve every recorded message live (svnav replay --foxglove-port). */
  readonly live?: LiveView;
  readonly warn: (message: string) => void;
}

/**
 * The output bag of a replay (and optionally a live Foxglove view of it): input messages at their original log
 * times and everything the nodes published at the time it was published (or delivered, for delayed topics).
 * Writes are queued by the BagWriter; `settled()` lets the driver keep the queue short.
 */
export class ReplayRecorder {
  readonly #writer: BagWriter;
  readonly #options: RecorderOptions;
  readonly #skipped = new Set<string>();
  readonly #counts = new Map<string, number>();
  #last: Promise<void> = Promise.resolve();
  #failure: Error | undefined;

  private constructor(writer: BagWriter, options: RecorderOptions) {
    this.#writer = writer;
    this.#options = options;
  }

  static async create(path: string, options: RecorderOptions): Promise<ReplayRecorder> {
    const writer = await BagWriter.create(path, {
      codec: options.codec,
      qosProfiles: options.qosProfiles,
      replace: options.replace ?? false,
    });
    return new ReplayRecorder(writer, options);
  }

  get path(): string {
    return this.#writer.path;
  }

  /** Messages recorded per topic. */
  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  /** The first write that failed (the file then holds what came before it). */
  get failure(): Error | undefined {
    return this.#failure;
  }

  record(topic: string, type: string, logTimeNs: TimeNs, message: unknown, publishTimeNs = logTimeNs): void {
    if (this.#skipped.has(topic) || this.#failure) return;
    if (!this.#options.codec.registry.has(type)) {
      this.#skipped.add(topic);
      this.#options.warn(`topic ${topic} (${type}): no message definition known, not recorded`);
      return;
    }
    this.#counts.set(topic, (this.#counts.get(topic) ?? 0) + 1);
    this.#last = this.#writer.write(topic, type, logTimeNs, message, publishTimeNs).catch((err: unknown) => {
      this.#failure ??= err instanceof Error ? err : new Error(String(err));
    });
    this.#serve(topic, type, logTimeNs, message);
  }

  recordAll(messages: readonly PublishedMessage[]): void {
    for (const m of messages) this.record(m.topic, m.type, m.timeNs, m.message);
  }

  /** Resolves when every write queued so far is on its way to disk. */
  settled(): Promise<void> {
    return this.#last;
  }

  /** Writes the summary and moves the bag into place; idempotent. */
  async close(): Promise<void> {
    await this.#last;
    await this.#writer.close();
  }

  /** Abandons the recording: nothing appears at the path. */
  async discard(): Promise<void> {
    await this.#last;
    await this.#writer.discard();
  }

  #serve(topic: string, type: string, timeNs: TimeNs, message: unknown): void {
    const live = this.#options.live;
    if (!live || this.#skipped.has(`live:${topic}`)) return;
    try {
      live.advertise(topic, type);
      live.publish(topic, timeNs, message);
    } catch (err) {
      this.#skipped.add(`live:${topic}`);
      this.#options.warn(`live view of ${topic}: ${describeError(err)}`);
    }
  }
}
