/**
 * Gathers what the evaluation needs from a stream of decoded messages (a bag read in log-time order), by
 * topic. The coordinator's `svnav eval` feeds BagReader messages straight in; nothing here reads files.
 */
import type { SvnavConfig } from '../config/schema';
import type { Odometry, PlanMsg, PlannerStatusMsg, StringMsg, Twist } from '../messages/ros';
import { stampToNs, type TimeNs } from '../messages/time';
import type { StampedControllerStatus, StampedTwist } from './commands';
import { capNotes, type EvalInput } from './metrics';
import { describeSampleTime, type StampedOdometry } from './odometry';

export interface EvalTopics {
  readonly plan: string;
  readonly odom: string;
  readonly cmdVel: string;
  readonly plannerStatus: string;
  readonly controllerStatus: string;
}

export function evalTopicsFromConfig(config: SvnavConfig): EvalTopics {
  return {
    plan: config.planner.plan_topic,
    odom: config.controller.odom_topic,
    cmdVel: config.controller.cmd_vel_topic,
    plannerStatus: config.planner.status_topic,
    controllerStatus: config.controller.status_topic,
  };
}

/** The part of a BagReader message the collector reads. */
export interface TopicMessage {
  readonly topic: string;
  readonly logTimeNs: TimeNs;
  readonly message: unknown;
}

const CONTROLLER_STATES = new Set(['moving', 'stopping', 'stopped']);

export class EvalCollector {
  readonly topics: EvalTopics;
  readonly #source: string;
  readonly #plans: PlanMsg[] = [];
  readonly #odometry: StampedOdometry[] = [];
  readonly #commands: StampedTwist[] = [];
  readonly #plannerStatuses: PlannerStatusMsg[] = [];
  readonly #controllerStatuses: StampedControllerStatus[] = [];
  readonly #badStatuses: string[] = [];
  #unstampedOdometry = 0;

  constructor(source: string, topics: EvalTopics) {
    this.#source = source;
    this.topics = topics;
  }

  /** Topics worth reading from the bag. */
  get topicList(): string[] {
    return [...new Set(Object.values(this.topics))];
  }

  add(m: TopicMessage): void {
    const t = this.topics;
    if (m.topic === t.plan) this.#plans.push(m.message as PlanMsg);
    else if (m.topic === t.odom) this.#addOdometry(m.message as Odometry, m.logTimeNs);
    else if (m.topic === t.cmdVel) this.#commands.push({ timeNs: m.logTimeNs, twist: m.message as Twist });
    else if (m.topic === t.plannerStatus) this.#plannerStatuses.push(m.message as PlannerStatusMsg);
    else if (m.topic === t.controllerStatus) this.#addControllerStatus(m.message as StringMsg, m.logTimeNs);
  }

  async addAll(messages: AsyncIterable<TopicMessage> | Iterable<TopicMessage>): Promise<this> {
    for await (const m of messages) this.add(m);
    return this;
  }

  input(): EvalInput {
    const notes: string[] = [];
    if (this.#unstampedOdometry > 0) {
      notes.push(
        `${this.#unstampedOdometry} ${this.topics.odom} messages had a zero header stamp; their log time was used`,
      );
    }
    notes.push(...capNotes(this.#badStatuses, `unreadable ${this.topics.controllerStatus} messages`));
    return {
      source: this.#source,
      plans: this.#plans,
      odometry: this.#odometry,
      commands: this.#commands,
      plannerStatuses: this.#plannerStatuses,
      controllerStatuses: this.#controllerStatuses,
      notes,
    };
  }

  #addOdometry(msg: Odometry, logTimeNs: TimeNs): void {
    const stamp = msg.header?.stamp;
    // Some drivers leave the stamp at zero; their log time is the best estimate of when the pose held.
    if (!stamp || (stamp.sec === 0 && stamp.nanosec === 0)) {
      this.#unstampedOdometry++;
      this.#odometry.push({ stampNs: logTimeNs, msg });
    } else {
      this.#odometry.push({ stampNs: stampToNs(stamp), msg });
    }
  }

  #addControllerStatus(msg: StringMsg, logTimeNs: TimeNs): void {
    const where = describeSampleTime(this.topics.controllerStatus, logTimeNs);
    let parsed: unknown;
    try {
      parsed = JSON.parse(msg.data);
    } catch (err) {
      this.#badStatuses.push(`${where}: not JSON (${(err as Error).message})`);
      return;
    }
    const status = parsed as { state?: unknown; stop_reason?: { kind?: unknown } | null };
    if (typeof status !== 'object' || status === null || !CONTROLLER_STATES.has(status.state as string)) {
      this.#badStatuses.push(`${where}: no state moving/stopping/stopped in ${msg.data.slice(0, 80)}`);
      return;
    }
    const kind = status.stop_reason?.kind;
    this.#controllerStatuses.push({
      timeNs: logTimeNs,
      state: status.state as StampedControllerStatus['state'],
      stopKind: typeof kind === 'string' ? kind : null,
    });
  }
}
