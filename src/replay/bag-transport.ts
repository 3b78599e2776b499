import type { Observable } from 'rxjs';
import type { TimeNs } from '../messages/time';
import { InMemoryTransport, VirtualClock, silentLogger, type PublishedMessage } from '../transport/memory';
import {
  Qos,
  type Clock,
  type Logger,
  type Publisher,
  type QosProfile,
  type Transport,
} from '../transport/transport';

/**
 * A modelled delay on one topic: what a node publishes there at time t reaches subscribers (and the recording)
 * at t + delayNs. `adjust` may rewrite the message on the way (e.g. add the delay to a plan's latency_s).
 */
export interface DelayRule {
  readonly delayNs: TimeNs;
  readonly adjust?: (message: unknown, delayNs: TimeNs) => unknown;
}

export interface BagTransportOptions {
  /** A VirtualClock for deterministic replay (required for delays), a PacedClock for real-time replay. */
  readonly clock: Clock;
  readonly log?: Logger;
  /** Per-topic delivery delays (the planner latency model); only with a VirtualClock. */
  readonly delays?: ReadonlyMap<string, DelayRule>;
}

interface Pending {
  readonly dueNs: TimeNs;
  readonly order: number;
  readonly deliver: () => void;
}

/**
 * The transport of bag replay: the in-memory topic bus on the bag's clock, plus what replay needs around it —
 * input messages injected from the bag, node publications collected for the output bag (`drain`), and
 * modelled delivery delays on chosen topics. Node code sees an ordinary Transport.
 */
export class BagTransport implements Transport {
  readonly name = 'bag';
  readonly clock: Clock;
  readonly log: Logger;
  readonly #bus: InMemoryTransport;
  readonly #delays: ReadonlyMap<string, DelayRule>;
  readonly #pending: Pending[] = [];
  readonly #nodeTopics = new Map<string, string>();
  readonly #offeredQos = new Map<string, QosProfile>();
  readonly #injected = new WeakSet<PublishedMessage>();
  #order = 0;

  constructor(options: BagTransportOptions) {
    this.clock = options.clock;
    this.log = options.log ?? silentLogger();
    this.#delays = options.delays ?? new Map();
    if (this.#delays.size > 0 && !(options.clock instanceof VirtualClock)) {
      throw new Error(
        `modelled delays on ${[...this.#delays.keys()].join(', ')} need virtual time (deterministic replay)`,
      );
    }
    this.#bus = new InMemoryTransport(options.clock, this.log);
  }

  subscribe<T>(topic: string, type: string, qos?: QosProfile): Observable<T> {
    return this.#bus.subscribe<T>(topic, type, qos);
  }

  createPublisher<T>(topic: string, type: string, qos?: QosProfile): Publisher<T> {
    const inner = this.#bus.createPublisher<T>(topic, type, qos);
    this.#nodeTopics.set(topic, type);
    // As the ROS adapter does: a publisher without a profile offers the command profile.
    this.#offeredQos.set(topic, qos ?? Qos.commands);
    const rule = this.#delays.get(topic);
    if (!rule) return inner;
    return {
      topic,
      publish: (message: T) => {
        const dueNs = this.clock.now() + rule.delayNs;
        const out = (rule.adjust ? rule.adjust(message, rule.delayNs) : message) as T;
        this.#pending.push({ dueNs, order: this.#order++, deliver: () => inner.publish(out) });
        this.#pending.sort((a, b) => (a.dueNs < b.dueNs ? -1 : a.dueNs > b.dueNs ? 1 : a.order - b.order));
      },
      close: () => inner.close(),
    };
  }

  /** Topics some node publishes on, with their types. */
  get nodeTopics(): ReadonlyMap<string, string> {
    return this.#nodeTopics;
  }

  /** The QoS each node topic's publisher offers: what the output bag records, as `ros2 bag record` would. */
  get offeredQos(): ReadonlyMap<string, QosProfile> {
    return this.#offeredQos;
  }

  /** Delivers a bag message to subscribers as if its publisher were on the bus; it is not returned by drain(). */
  inject<T>(topic: string, type: string, message: T): void {
    const published = this.#bus.published;
    const at = published.length;
    this.#bus.inject(topic, type, message);
    const entry = published[at];
    if (entry) this.#injected.add(entry);
  }

  /** Due time of the earliest delayed message not delivered yet. */
  get nextDueNs(): TimeNs | undefined {
    return this.#pending[0]?.dueNs;
  }

  /**
   * Moves virtual time to `targetNs`, delivering each delayed message at its due time on the way; timers due in
   * between fire in time order as VirtualClock fires them.
   */
  advanceTo(targetNs: TimeNs): void {
    const clock = this.clock;
    if (!(clock instanceof VirtualClock)) throw new Error('advanceTo() needs virtual time');
    for (let next = this.#pending[0]; next && next.dueNs <= targetNs; next = this.#pending[0]) {
      this.#pending.shift();
      if (next.dueNs > clock.now()) clock.advanceTo(next.dueNs);
      next.deliver();
    }
    if (targetNs > clock.now()) clock.advanceTo(targetNs);
  }

  /** What nodes published since the last call (injected bag messages left out), in publication order. */
  drain(): PublishedMessage[] {
    return this.#bus.published.splice(0).filter((m) => !this.#injected.has(m));
  }

  async close(): Promise<void> {
    this.#pending.length = 0;
    await this.#bus.close();
  }
}
