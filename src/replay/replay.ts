import { BagError, describeError } from '../bag/errors';
import type { BagMessage } from '../bag/reader';
import { controlPeriodNs } from '../controller';
import { nsToSeconds, type TimeNs } from '../messages/time';
import { wireNavigationNodes, type NavigationNodes } from '../nodes/wiring';
import { VirtualClock, silentLogger } from '../transport/memory';
import type { Logger } from '../transport/transport';
import { BagTransport } from './bag-transport';
import { evaluateBag, type BagEvaluation } from './evaluate';
import { openReplayInput, type ReplayInput } from './input';
import { planDelayRules, replayLatencyModel, type LatencyModel } from './latency';
import { replayModel, type ReplayModel } from './model';
import type { ReplayMode, ReplayOptions } from './options';
import { PacedClock, sleepUntil } from './paced-clock';
import { outputQosProfiles, replayCodec, ReplayRecorder } from './recorder';
import { REPLAY_REPORT_VERSION, type ReplayReport } from './report';
import { periodStats } from './twist-timing';
import { VizNode } from '../viz/node';
import { ReplayWarnings } from './warnings';

export type { ReplayOptions, ReplayProgress } from './options';

/** Input topics that a node also publishes are recorded under this prefix (the bag's own /cmd_vel, say). */
export const RECORDED_INPUT_PREFIX = '/recorded';

/** The nodes as wired on the robot, on the bag's clock, and the output bag that records what passes. */
interface Rig {
  readonly clock: VirtualClock | PacedClock;
  readonly transport: BagTransport;
  readonly nodes: NavigationNodes;
  readonly viz: VizNode;
  readonly recorder: ReplayRecorder;
}

/** What the run has seen so far: the report's counts, and how reading ended. */
interface RunState {
  frames: number;
  inputMessages: number;
  lastNs: TimeNs;
  plansDelivered: number;
  readonly twistWallNs: bigint[];
  loopStarted: number | undefined;
  aborted: boolean;
  damage: BagError | undefined;
  failure: { readonly error: unknown } | undefined;
}

type Phase = 'open' | 'running' | 'ran' | 'finished' | 'abandoned';

/**
 * A replay of a bag through the planner and controller nodes as wired on the robot, on the bag's clock,
 * recording inputs and outputs into the output bag. Its life cycle is open → run → finish:
 * - `Replay.open(options)` opens the input bag, loads the model (unless one is lent), wires the nodes onto the
 *   bag transport and creates the output; any refusal (ReplayInputError, BagError) leaves nothing open.
 * - `run()` drives the bag through the transport. Bag damage ends reading but not the replay; an abort does the
 *   same. Any other failure (a write error, a full disk) rejects, and the replay must then be abandoned.
 * - `finish()` stops the nodes (zero Twist, StopMove), closes the output, evaluates it and returns the report;
 *   `abandon()` instead leaves nothing under the output's name. Both release the bag and a loaded model.
 */
export class Replay {
  readonly #options: ReplayOptions;
  readonly #mode: ReplayMode;
  readonly #log: Logger;
  readonly #warnings: ReplayWarnings;
  readonly #input: ReplayInput;
  readonly #model: ReplayModel;
  readonly #latency: LatencyModel;
  readonly #rig: Rig;
  readonly #state: RunState;
  readonly #started: number;
  readonly #unroutable = new Set<string>();
  #phase: Phase = 'open';

  private constructor(init: {
    options: ReplayOptions;
    mode: ReplayMode;
    log: Logger;
    started: number;
    warnings: ReplayWarnings;
    input: ReplayInput;
    model: ReplayModel;
    latency: LatencyModel;
    rig: Rig;
    state: RunState;
  }) {
    this.#options = init.options;
    this.#mode = init.mode;
    this.#log = init.log;
    this.#started = init.started;
    this.#warnings = init.warnings;
    this.#input = init.input;
    this.#model = init.model;
    this.#latency = init.latency;
    this.#rig = init.rig;
    this.#state = init.state;
  }

  static async open(options: ReplayOptions): Promise<Replay> {
    const started = performance.now();
    const log = options.log ?? silentLogger();
    const warnings = new ReplayWarnings(log);
    const input = await openReplayInput(options, warnings.warn);
    let model: ReplayModel | undefined;
    try {
      const { camera } = input;
      log.info(`replay: camera ${camera.topic} (${camera.type}, ${camera.how})`);
      model = await replayModel(options.planner, input.config, log);
      const mode = options.mode ?? 'deterministic';
      const latency = replayLatencyModel(mode, options.latencyMs, model.measuredMs);
      const state = initialState(input.startNs);
      const rig = await rigUp({ options, mode, input, model, latency, warnings, state });
      return new Replay({ options, mode, log, started, warnings, input, model, latency, rig, state });
    } catch (err) {
      await input.reader.close();
      await model?.owned?.close();
      throw err;
    }
  }

  /** Feeds the bag to the nodes in log-time order, recording as it goes; see the class comment for failures. */
  async run(): Promise<void> {
    this.#enter(['open'], 'running');
    const { reader } = this.#input;
    const { signal } = this.#options;
    const state = this.#state;
    state.loopStarted = performance.now();
    try {
      for await (const m of reader.messages()) {
        if (signal?.aborted) break;
        await this.#feed(m);
      }
      state.aborted = signal?.aborted === true;
      state.damage = skippedChunksDamage(reader.skippedChunks);
    } catch (err) {
      if (!(err instanceof BagError) || err.file !== this.#options.input) {
        state.failure = { error: err };
        throw err;
      }
      state.damage = err;
      this.#log.error(`replay: ${err.message}; replaying what was readable`);
    } finally {
      this.#phase = 'ran';
    }
  }

  /** Closes the output bag (readable, with what was replayed), evaluates it, and returns the report. */
  async finish(): Promise<ReplayReport> {
    const failure = this.#state.failure;
    if (failure) {
      await this.abandon();
      throw failure.error;
    }
    this.#enter(['open', 'ran'], 'finished');
    const loopStarted = this.#state.loopStarted ?? performance.now();
    try {
      await this.#shutdown(true);
      const replayWallS = (performance.now() - loopStarted) / 1000;
      const evaluation = await evaluateBag(this.#options.output, this.#input.config, {
        onWarning: (w) => this.#warnings.warn(w.message),
      });
      return this.#report(evaluation, replayWallS);
    } finally {
      await this.#release();
    }
  }

  /** Ends a replay whose run failed (or that will not run): the nodes stop and nothing is left at the output. */
  async abandon(): Promise<void> {
    if (this.#phase === 'finished' || this.#phase === 'abandoned') return;
    if (this.#phase === 'running')
      throw new Error('Replay: abort its signal and await run() before abandoning');
    this.#phase = 'abandoned';
    try {
      await this.#shutdown(false);
    } finally {
      await this.#release();
    }
  }

  #enter(from: readonly Phase[], to: Phase): void {
    if (!from.includes(this.#phase)) throw new Error(`Replay: cannot go from ${this.#phase} to ${to}`);
    this.#phase = to;
  }

  async #feed(m: BagMessage): Promise<void> {
    const { clock, transport, recorder } = this.#rig;
    const state = this.#state;
    if (clock instanceof PacedClock) await sleepUntil(clock, m.logTimeNs, this.#options.signal);
    else if (m.logTimeNs > clock.now()) transport.advanceTo(m.logTimeNs);
    if (m.logTimeNs > state.lastNs) state.lastNs = m.logTimeNs;
    state.inputMessages++;
    recorder.record(recordedName(m.topic, transport), m.type, m.logTimeNs, m.message, m.publishTimeNs);
    this.#inject(m);
    if (m.topic === this.#input.camera.topic) await this.#frameFed();
    recorder.recordAll(transport.drain());
    if (recorder.failure) throw recorder.failure;
  }

  /** Topics the nodes publish themselves are recorded but not fed back; a type nothing can take is dropped. */
  #inject(m: BagMessage): void {
    const { transport } = this.#rig;
    if (transport.nodeTopics.has(m.topic) || this.#unroutable.has(m.topic)) return;
    try {
      transport.inject(m.topic, m.type, m.message);
    } catch (err) {
      this.#unroutable.add(m.topic);
      this.#warnings.warn(`topic ${m.topic} (${m.type}) not fed to the nodes: ${describeError(err)}`);
    }
  }

  /** Deterministic replay lets the planner finish each frame (virtual time stands still meanwhile). */
  async #frameFed(): Promise<void> {
    const state = this.#state;
    state.frames++;
    if (this.#mode === 'deterministic') await this.#rig.nodes.idle();
    await this.#rig.recorder.settled();
    const { startNs, endNs } = this.#input;
    this.#options.onProgress?.({
      done_s: nsToSeconds(state.lastNs - startNs),
      total_s: nsToSeconds(endNs - startNs),
      frames: state.frames,
      plans: state.plansDelivered,
    });
  }

  /** Work already started finishes, delayed results arrive, then the nodes stop (zero Twist, StopMove). */
  async #shutdown(keepOutput: boolean): Promise<void> {
    const { clock, transport, nodes, viz, recorder } = this.#rig;
    const { aborted, damage } = this.#state;
    try {
      await nodes.idle();
      if (clock instanceof VirtualClock) deliverPending(transport, clock);
      await nodes.stop(aborted ? 'replay interrupted' : damage ? 'input bag damaged' : 'end of bag');
      viz.stop();
      recorder.recordAll(transport.drain());
      await transport.close();
    } catch (err) {
      await recorder.discard();
      throw err;
    }
    // A failed replay (a write error, a full disk) leaves nothing under the output's name.
    await (keepOutput ? recorder.close() : recorder.discard());
  }

  async #release(): Promise<void> {
    try {
      await this.#input.reader.close();
    } finally {
      await this.#model.owned?.close();
    }
  }

  #report(evaluation: BagEvaluation, replayWallS: number): ReplayReport {
    const { input, instruction, output } = this.#options;
    const { startNs, endNs, camera, config } = this.#input;
    const { planner } = this.#model;
    const state = this.#state;
    const nodeTopics = this.#rig.transport.nodeTopics;
    return {
      version: REPLAY_REPORT_VERSION,
      input,
      output,
      instruction,
      mode: this.#mode,
      latency_model: this.#latency,
      camera,
      model: {
        dir: config.model.dir,
        untrained: planner.provenance.untrained,
        provider: planner.provider,
        resolution: planner.resolution,
      },
      bag_duration_s: nsToSeconds(endNs - startNs),
      replayed_s: nsToSeconds(state.lastNs - startNs),
      camera_frames: state.frames,
      input_messages: state.inputMessages,
      output_messages: Object.fromEntries(
        [...this.#rig.recorder.counts].filter(([topic]) => nodeTopics.has(topic)),
      ),
      planner: { ...this.#rig.nodes.planner.stats },
      wall_s: (performance.now() - this.#started) / 1000,
      replay_wall_s: replayWallS,
      frames_per_wall_s: state.frames / replayWallS,
      twist_timing:
        this.#mode === 'realtime'
          ? periodStats(state.twistWallNs, controlPeriodNs(config.controller.rate_hz))
          : null,
      aborted: state.aborted,
      input_damage: state.damage?.message ?? null,
      warnings: [...this.#warnings.list],
      eval: evaluation.report,
    };
  }
}

/**
 * Replays a bag start to end (open → run → finish) and returns the report; a replay that fails is abandoned,
 * leaving nothing at the output.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const replay = await Replay.open(options);
  try {
    await replay.run();
  } catch (err) {
    await replay.abandon();
    throw err;
  }
  return await replay.finish();
}

function initialState(startNs: TimeNs): RunState {
  return {
    frames: 0,
    inputMessages: 0,
    lastNs: startNs,
    plansDelivered: 0,
    twistWallNs: [],
    loopStarted: undefined,
    aborted: false,
    damage: undefined,
    failure: undefined,
  };
}

/**
 * The nodes on the bag transport, started, with the output bag open. Plans delivered are counted (progress),
 * and in real time the wall-clock times of the Twists while plans run (the report's Twist timing).
 */
async function rigUp(parts: {
  readonly options: ReplayOptions;
  readonly mode: ReplayMode;
  readonly input: ReplayInput;
  readonly model: ReplayModel;
  readonly latency: LatencyModel;
  readonly warnings: ReplayWarnings;
  readonly state: RunState;
}): Promise<Rig> {
  const { options, mode, input, state } = parts;
  const { config } = input;
  const clock = mode === 'realtime' ? new PacedClock(input.startNs) : new VirtualClock(input.startNs);
  const delays = planDelayRules(config, parts.latency);
  const transport = new BagTransport({ clock, log: parts.warnings.nodeLogger(), delays });
  const nodes = wireNavigationNodes(transport, config, parts.model.planner);
  const viz = new VizNode(transport, config);
  transport
    .subscribe(config.planner.plan_topic, 'sparse_video_nav/msg/Plan')
    .subscribe(() => state.plansDelivered++);
  if (mode === 'realtime') {
    transport
      .subscribe(config.controller.cmd_vel_topic, 'geometry_msgs/msg/Twist')
      .subscribe(() => state.plansDelivered > 0 && state.twistWallNs.push(process.hrtime.bigint()));
  }
  viz.start();
  nodes.start();
  try {
    const recorder = await ReplayRecorder.create(options.output, {
      replace: options.replace ?? false,
      codec: replayCodec(),
      qosProfiles: outputQosProfiles(
        input.reader.topics(),
        (topic) => recordedName(topic, transport),
        transport.offeredQos,
      ),
      ...(options.live ? { live: options.live } : {}),
      warn: parts.warnings.warn,
    });
    return { clock, transport, nodes, viz, recorder };
  } catch (err) {
    // No output: stop what was started (a paced clock's timers would keep the process alive) and say why.
    try {
      await nodes.stop('replay not started');
      viz.stop();
    } finally {
      await transport.close();
    }
    throw err;
  }
}

function recordedName(topic: string, transport: BagTransport): string {
  return transport.nodeTopics.has(topic) ? `${RECORDED_INPUT_PREFIX}${topic}` : topic;
}

/** Virtual time runs on until every delayed result has been delivered. */
function deliverPending(transport: BagTransport, clock: VirtualClock): void {
  const due = transport.nextDueNs;
  if (due !== undefined) transport.advanceTo(due > clock.now() ? due : clock.now());
  while (transport.nextDueNs !== undefined) transport.advanceTo(transport.nextDueNs);
}

function skippedChunksDamage(skipped: readonly BagError[]): BagError | undefined {
  if (skipped.length === 0) return undefined;
  return new BagError(
    `${skipped.length} corrupt chunk(s) skipped, the rest was replayed; first: ${skipped[0]!.message}`,
  );
}
