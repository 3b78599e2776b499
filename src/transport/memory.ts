import { Observable, ReplaySubject, Subject, filter, map } from 'rxjs';
import type { TimeNs } from '../messages/time';
import type { Clock, Logger, Publisher, QosProfile, Transport } from './transport';

/**
 * Virtual time for tests and deterministic replay: nothing happens until `advanceTo`/`advanceBy` moves it,
 * and every interval due on the way fires, in time order, with the clock set to its due time.
 */
export class VirtualClock implements Clock {
  #now: TimeNs;
  #timers = new Set<{ next: TimeNs; period: TimeNs; fire: (t: TimeNs) => void }>();

  constructor(startNs: TimeNs = 0n) {
    this.#now = startNs;
  }

  now(): TimeNs {
    return this.#now;
  }

  interval(periodNs: TimeNs): Observable<TimeNs> {
    if (periodNs <= 0n) throw new RangeError(`interval period must be positive, got ${periodNs} ns`);
    return new Observable<TimeNs>((subscriber) => {
      const timer = { next: this.#now + periodNs, period: periodNs, fire: (t: TimeNs) => subscriber.next(t) };
      this.#timers.add(timer);
      return () => this.#timers.delete(timer);
    });
  }

  advanceBy(deltaNs: TimeNs): void {
    this.advanceTo(this.#now + deltaNs);
  }

  advanceTo(targetNs: TimeNs): void {
    if (targetNs < this.#now) throw new RangeError(`virtual time cannot go back: ${targetNs} < ${this.#now}`);
    for (;;) {
      let due: { next: TimeNs; period: TimeNs; fire: (t: TimeNs) => void } | undefined;
      for (const t of this.#timers) if (t.next <= targetNs && (!due || t.next < due.next)) due = t;
      if (!due) break;
      this.#now = due.next;
      due.next += due.period;
      due.fire(this.#now);
    }
    this.#now = targetNs;
  }
}

/**
 * Wall-clock time for in-process runs without ROS: the monotonic `hrtime` offset once to the Unix epoch, so it
 * reads like a ROS stamp and never goes backwards (mixing `Date.now()` with an `hrtime` remainder did, by up to
 * 1 ms, whenever the two counters' millisecond edges differed). Slewing of the system clock after construction
 * is not followed; that is the price of monotonic time.
 */
export class WallClock implements Clock {
  readonly #epochOffsetNs: TimeNs;
  readonly #monotonic: () => TimeNs;

  constructor(epochNowNs: TimeNs = BigInt(Date.now()) * 1_000_000n, monotonicNs: () => TimeNs = hrtimeNs) {
    this.#monotonic = monotonicNs;
    this.#epochOffsetNs = epochNowNs - monotonicNs();
  }

  now(): TimeNs {
    return this.#epochOffsetNs + this.#monotonic();
  }
  interval(periodNs: TimeNs): Observable<TimeNs> {
    return new Observable<TimeNs>((subscriber) => {
      const handle = setInterval(() => subscriber.next(this.now()), Number(periodNs / 1_000_000n));
      return () => clearInterval(handle);
    });
  }
}

function hrtimeNs(): TimeNs {
  return process.hrtime.bigint();
}

interface Envelope {
  topic: string;
  type: string;
  message: unknown;
}

/** One published message as seen by `InMemoryTransport.published`. */
export interface PublishedMessage<T = unknown> {
  topic: string;
  type: string;
  timeNs: TimeNs;
  message: T;
}

/**
 * A process-local topic bus. Publishing is synchronous; transient-local (latched) topics replay their last
 * message to late subscribers as ROS does. Every publication is recorded in `published` for assertions.
 */
export class InMemoryTransport implements Transport {
  readonly name = 'memory';
  readonly published: PublishedMessage[] = [];
  readonly log: Logger;
  #bus = new Subject<Envelope>();
  #latched = new Map<string, ReplaySubject<Envelope>>();
  #types = new Map<string, string>();
  #closed = false;

  constructor(
    readonly clock: Clock = new VirtualClock(),
    log?: Logger,
  ) {
    this.log = log ?? silentLogger();
  }

  subscribe<T>(topic: string, type: string, qos?: QosProfile): Observable<T> {
    this.#checkType(topic, type);
    // As in DDS, only a transient-local reader receives a latched writer's history; a volatile one starts now.
    const latched = qos?.durability === 'transient_local' ? this.#latched.get(topic) : undefined;
    const source = latched ? latched.asObservable() : this.#bus.asObservable();
    return source.pipe(
      filter((e) => e.topic === topic),
      map((e) => e.message as T),
    );
  }

  createPublisher<T>(topic: string, type: string, qos?: QosProfile): Publisher<T> {
    this.#checkType(topic, type);
    if (qos?.durability === 'transient_local' && !this.#latched.has(topic)) {
      const replay = new ReplaySubject<Envelope>(qos.depth);
      this.#bus.pipe(filter((e) => e.topic === topic)).subscribe(replay);
      this.#latched.set(topic, replay);
    }
    let open = true;
    return {
      topic,
      publish: (message: T) => {
        if (!open || this.#closed) return;
        this.published.push({ topic, type, timeNs: this.clock.now(), message });
        this.#bus.next({ topic, type, message });
      },
      close: () => {
        open = false;
      },
    };
  }

  /** Injects a message as if another node had published it. */
  inject<T>(topic: string, type: string, message: T): void {
    this.createPublisher<T>(topic, type).publish(message);
  }

  messagesOn<T>(topic: string): PublishedMessage<T>[] {
    return this.published.filter((p) => p.topic === topic) as PublishedMessage<T>[];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#bus.complete();
    for (const r of this.#latched.values()) r.complete();
  }

  #checkType(topic: string, type: string): void {
    const known = this.#types.get(topic);
    if (known && known !== type) {
      throw new Error(`topic ${topic} carries ${known}; cannot use it as ${type}`);
    }
    this.#types.set(topic, type);
  }
}

export function silentLogger(): Logger {
  const noop = () => undefined;
  return { debug: noop, info: noop, warn: noop, error: noop };
}

export function consoleLogger(prefix: string): Logger {
  return {
    debug: () => undefined,
    info: (m) => console.log(`[${prefix}] ${m}`),
    warn: (m) => console.warn(`[${prefix}] WARN ${m}`),
    error: (m) => console.error(`[${prefix}] ERROR ${m}`),
  };
}
