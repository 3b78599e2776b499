import { cleanInstruction } from '../../messages/instruction';
import type { Subscription } from 'rxjs';
import type { SvnavConfig } from '../../config/schema';
import {
  RosTypes,
  type CompressedImage,
  type Image,
  type Odometry,
  type StringMsg,
  type Path,
} from '../../messages/ros';
import { nsToSeconds, nsToStamp, secondsToNs, stampToNs, type TimeNs } from '../../messages/time';
import type { Planner } from '../../planner/planner';
import { plannedPathFromPlan, type NoPlan, type Plan } from '../../planner/plan';
import { Qos, type QosProfile, type Transport } from '../../transport/transport';
import { CameraInput } from './camera-input';
import { PlanCycle } from './plan-cycle';
import { describeEpisode, episodeStep, INITIAL_EPISODE, type Episode, type EpisodeEvent } from './episode';
import { arrivalFromControllerStatus, parseCommand, PLANNER_COMMANDS, untrainedVerdict } from './inputs';
import {
  createPublishers,
  pathMessage,
  planMessage,
  statusMessage,
  type PlannerPublishers,
} from './messages';
import { OdometryBuffer } from './odometry-buffer';
import { GeometricInputs } from './geometric-context';
import { cameraInfoTopicFor, type CameraInfoLike } from '../../camera/intrinsics';
import { previewMessage } from './preview';
import { StuckDetector } from './stuck';
import { StampAligner } from './stamp-aligner';
import { InvalidPlanError } from '../../geometry/trajectory';

/** Kinds of problem remembered for de-duplication of the status topic. */
const MAX_REPORTED_KINDS = 256;

/** What the node needs of the planner runtime (the real `Planner` is what runs; tests use it too). */
export type PlannerRuntime = Pick<
  Planner,
  | 'addFrame'
  | 'plan'
  | 'resetEpisode'
  | 'decodeFuture'
  | 'provenance'
  | 'resolution'
  | 'provider'
  | 'historySize'
  | 'actionSource'
>;

export interface PlannerNodeOptions {
  /** Columns of the imagined-future tiling (see preview.ts); default 4 (8 chunks → 2 rows). */
  readonly previewColumns?: number;
}

export interface PlannerNodeStats {
  framesReceived: number;
  badFrames: number;
  framesSampled: number;
  /** Sampled frames replaced by a newer one while decoding/encoding was busy (latest-frame semantics). */
  framesReplaced: number;
  framesEncoded: number;
  chunks: number;
  /** Chunks superseded by a newer chunk while a plan was in flight. */
  chunksSkipped: number;
  plans: number;
  noPlans: number;
  previews: number;
}

/**
 * The planner node (SYSTEM.md §1): camera frames and an instruction in; plans, their path, the imagined future,
 * status and a heartbeat out. Frames are sampled at 4 FPS by stamp, only the newest sampled frame waits for the
 * encoder (never a queue), and a plan starts on each new chunk when none is in flight; a chunk that arrives during
 * a plan is planned from as soon as that plan ends (only the newest such chunk).
 */
export class PlannerNode {
  readonly #t: Transport;
  readonly #config: SvnavConfig;
  readonly #planner: PlannerRuntime;
  readonly #options: PlannerNodeOptions;
  readonly #camera: CameraInput;
  readonly #odometry: OdometryBuffer;
  readonly #geometric: GeometricInputs;
  readonly #stuck: StuckDetector;
  readonly #stats = { framesReceived: 0, badFrames: 0, framesSampled: 0, plans: 0, noPlans: 0, previews: 0 };
  readonly #cycle: PlanCycle;
  readonly #reported = new Set<string>();
  readonly #cameraStamps = new StampAligner('camera');
  readonly #odometryStamps = new StampAligner('odometry');
  #phase: 'created' | 'running' | 'stopped' = 'created';
  #refusal: string | undefined;
  #episode: Episode = INITIAL_EPISODE;
  #instruction: string;
  #subscriptions: Subscription[] = [];
  #pub: PlannerPublishers | undefined;
  #heartbeatSequence = 0;
  #lastFrameNs: TimeNs | undefined;
  #preview: Promise<void> | undefined;

  constructor(
    transport: Transport,
    config: SvnavConfig,
    planner: PlannerRuntime,
    options: PlannerNodeOptions = {},
  ) {
    this.#t = transport;
    this.#config = config;
    this.#planner = planner;
    this.#options = options;
    this.#instruction = startingInstruction(config.planner.instruction, transport.log);
    this.#camera = new CameraInput(config.camera, planner.resolution);
    this.#odometry = new OdometryBuffer(2n * 1_000_000_000n);
    this.#geometric = new GeometricInputs(config.camera, config.planner, planner.resolution.width, (line) =>
      transport.log.info(`planner: ${line}`),
    );
    const p = config.planner;
    this.#stuck = new StuckDetector({
      timeoutNs: secondsToNs(p.stuck_timeout_s),
      minProgressM: p.stuck_min_progress_m,
      motionPathM: config.safety.arrival_displacement_m,
      motionRotationRad: config.safety.arrival_rotation_rad,
      maxPlanGapNs: secondsToNs(config.safety.plan_timeout_s),
      odomTimeoutNs: secondsToNs(config.controller.odom_timeout_s),
    });
    this.#cycle = new PlanCycle(planner, this.#camera, {
      plan: (plan, arrivalNs) => this.#onPlan(plan, arrivalNs),
      noPlan: (noPlan) => this.#onNoPlan(noPlan),
      badFrame: (err) => {
        this.#stats.badFrames++;
        this.#diagnose(err.message);
      },
      encodeError: (err, stampNs) => {
        this.#diagnose(`VAE encoder failed on the frame at ${stampNs} ns: ${err.message}`);
        this.#apply({ kind: 'encode_error', timeNs: this.#t.clock.now(), detail: err.message });
      },
      problem: (message) => this.#diagnose(message),
      frame: (source) => this.#geometric.onFrame(source),
      geometric: () => (this.#planner.actionSource === 'geometric' ? this.#geometric.context() : undefined),
    });
  }

  get episode(): Episode {
    return this.#episode;
  }

  get stats(): Readonly<PlannerNodeStats> {
    const c = this.#cycle.counters;
    return { ...this.#stats, ...c };
  }

  /** A plan is in flight. */
  get planning(): boolean {
    return this.#cycle.planning;
  }

  /** Why the node refuses to plan (an untrained model in robot mode), or undefined. */
  get refusal(): string | undefined {
    return this.#refusal;
  }

  start(): void {
    if (this.#phase !== 'created') throw new Error(`PlannerNode.start(): node is already ${this.#phase}`);
    this.#phase = 'running';
    const { planner: p, camera, controller } = this.#config;
    const t = this.#t;
    this.#pub = createPublishers(t, p);
    this.#subscriptions.push(
      t.clock.interval(secondsToNs(1 / p.heartbeat_rate_hz)).subscribe(() => this.#publishHeartbeat()),
    );

    const verdict = untrainedVerdict(
      this.#planner.provenance,
      this.#config.model.dir,
      this.#config.model.allow_untrained,
    );
    if (verdict && 'refusal' in verdict) {
      this.#refusal = verdict.refusal;
      t.log.error(`planner: ${verdict.refusal}`);
      this.#publishStatus(verdict.refusal);
      this.#publishHeartbeat();
      return;
    }
    if (verdict) t.log.warn(`planner: ${verdict.warning}`);
    this.#listen<Image | CompressedImage>(camera.topic, camera.type, Qos.sensorData, (m) =>
      this.#onCamera(m),
    );
    this.#listen<Odometry>(controller.odom_topic, RosTypes.Odometry, Qos.sensorData, (m) =>
      this.#onOdometry(m),
    );
    if (this.#planner.actionSource === 'geometric') {
      this.#listen<CameraInfoLike>(
        cameraInfoTopicFor(camera.topic),
        RosTypes.CameraInfo,
        Qos.sensorData,
        (m) => {
          const problem = this.#geometric.onCameraInfo(m);
          if (problem)
            this.#diagnose(`camera_info on ${cameraInfoTopicFor(camera.topic)} ignored: ${problem}`);
        },
      );
    }
    this.#listen<StringMsg>(p.instruction_topic, RosTypes.String, Qos.commands, (m) =>
      this.#onInstruction(m),
    );
    this.#listen<StringMsg>(p.command_topic, RosTypes.String, Qos.commands, (m) => this.#onCommand(m));
    this.#listen<StringMsg>(controller.status_topic, RosTypes.String, Qos.latched, (m) =>
      this.#onController(m),
    );
    t.log.info(
      `planner: ${camera.topic} (${camera.type}) → ${p.plan_topic} at model ${this.#planner.resolution.height}×` +
        `${this.#planner.resolution.width}, 4 FPS, on ${this.#planner.provider}`,
    );
    if (this.#instruction) this.startEpisode(this.#instruction);
    else this.#publishStatus('waiting for an instruction');
    this.#publishHeartbeat();
  }

  /** Starts a new episode (history reset, in-flight plan cancelled) with this or the last instruction. */
  startEpisode(instruction = this.#instruction): void {
    if (this.#phase !== 'running' || this.#refusal) {
      this.#t.log.warn(`planner: start ignored: ${this.#refusal ?? `node is ${this.#phase}`}`);
      return;
    }
    this.#instruction = instruction.trim() || this.#instruction;
    this.#apply({ kind: 'start', timeNs: this.#t.clock.now(), instruction: this.#instruction });
  }

  /** Ends the running episode as cancelled; the in-flight plan is aborted. */
  cancel(reason = 'cancelled'): void {
    if (this.#phase !== 'running') return;
    this.#apply({ kind: 'cancel', timeNs: this.#t.clock.now(), reason });
  }

  /**
   * Cancels the episode and the in-flight plan, tears down every subscription and the heartbeat timer, waits for
   * work in progress, publishes a last status and heartbeat, and releases the publishers. The planner runtime
   * stays open (its owner closes it). Idempotent.
   */
  async stop(reason = 'node stopped'): Promise<void> {
    if (this.#phase !== 'running') {
      this.#phase = 'stopped';
      return;
    }
    if (this.#episode.state === 'navigating') this.cancel(`node stopped: ${reason}`);
    this.#phase = 'stopped';
    for (const s of this.#subscriptions) s.unsubscribe();
    this.#subscriptions = [];
    this.#cycle.close();
    await this.idle();
    this.#publishStatus(`planner stopped: ${reason}`);
    this.#publishHeartbeat();
    for (const pub of Object.values(this.#pub ?? {})) pub.close();
    this.#t.log.info(`planner stopped (${reason}): ${JSON.stringify(this.#stats)}`);
  }

  /** Resolves when no frame is being decoded or encoded and no plan or preview is in flight. */
  async idle(): Promise<void> {
    for (;;) {
      await this.#cycle.idle();
      if (!this.#preview) return;
      await this.#preview;
    }
  }

  #listen<T>(topic: string, type: string, qos: QosProfile, on: (m: T) => void): void {
    this.#subscriptions.push(
      this.#t.subscribe<T>(topic, type, qos).subscribe({
        next: (m) => {
          if (this.#phase !== 'running') return;
          try {
            on(m);
          } catch (err) {
            this.#t.log.error(`planner: ${topic}: ${(err as Error).message}`);
          }
        },
        error: (err: unknown) =>
          this.#t.log.error(`planner: subscription to ${topic} failed: ${String(err)}`),
      }),
    );
  }

  #onCamera(original: Image | CompressedImage): void {
    this.#stats.framesReceived++;
    const now = this.#t.clock.now();
    const msg = this.#aligned(original, this.#cameraStamps, now);
    const navigating = this.#episode.state === 'navigating';
    const intake = this.#camera.intake(msg, now, navigating);
    if (intake.fresh) this.#lastFrameNs = now;
    else this.#stats.badFrames++;
    if (intake.contract) {
      const c = intake.contract;
      if (c.ok) this.#t.log.info(`planner: ${c.message}`);
      else this.#t.log.error(`planner: ${c.message}`);
      this.#publishStatus(c.message);
    }
    for (const problem of intake.problems) this.#diagnose(problem);
    for (const sample of intake.sampled) {
      this.#stats.framesSampled++;
      this.#cycle.offer(sample);
    }
  }

  #onNoPlan(noPlan: NoPlan): void {
    this.#stats.noPlans++;
    this.#stuck.observeNoPlan();
    this.#publishStatus(`no plan ${noPlan.sequence}: ${noPlan.kind}: ${noPlan.reason}`, noPlan.sequence);
    this.#apply({ kind: 'no_plan', timeNs: this.#t.clock.now(), noPlan });
  }

  /** Publishes a plan of the current episode: Plan, Path, Status; then the stuck check and the preview. */
  #onPlan(plan: Plan, arrivalNs: TimeNs | undefined): void {
    if (this.#phase !== 'running' || this.#refusal) return;
    const now = this.#t.clock.now();
    const p = this.#config.planner;
    const inputPose = this.#odometry.nearest(plan.inputStampNs, secondsToNs(p.input_pose_max_offset_s));
    const untrained = this.#planner.provenance.untrained;
    const latencyS = nsToSeconds(now - (arrivalNs ?? now));
    const ctx = { episode: this.#episode, baseFrameId: p.base_frame_id, inputPose, untrained, latencyS };
    // The path is the plan through the controller's own validation: a plan it would refuse never goes out.
    let path: Path;
    try {
      path = pathMessage(plan, ctx);
    } catch (err) {
      if (!(err instanceof InvalidPlanError)) throw err;
      const reason = `the controller would refuse it: ${err.message}`;
      this.#onNoPlan({
        ok: false,
        sequence: plan.sequence,
        inputStampNs: plan.inputStampNs,
        kind: 'invalid_plan',
        reason,
      });
      return;
    }
    this.#pub?.plan.publish(planMessage(plan, ctx));
    this.#pub?.path.publish(path);
    this.#stats.plans++;
    this.#apply({ kind: 'plan', timeNs: now });
    this.#publishStatus(
      `plan ${plan.sequence}: ${plan.actions.length} steps from the frame at ${plan.inputStampNs} ns` +
        `${inputPose ? '' : ' (no odometry pose)'}${untrained ? ' [UNTRAINED MODEL]' : ''}`,
      plan.sequence,
      plan,
    );
    this.#stuck.observePlan(
      plannedPathFromPlan(plan, { baseFrameId: p.base_frame_id, episodeId: ctx.episode.id }),
    );
    this.#checkStuck(plan.inputStampNs);
    if (p.publish_preview && !this.#preview && this.#episode.state === 'navigating') {
      this.#preview = this.#publishPreview(plan).finally(() => (this.#preview = undefined));
    }
  }

  /** The imagined future, decoded after the plan went out (off the critical path), as one tiled JPEG. */
  async #publishPreview(plan: Plan): Promise<void> {
    try {
      const message = await previewMessage(this.#planner, plan, {
        frameId: this.#config.camera.frame_id,
        jpegQuality: this.#config.planner.preview_jpeg_quality,
        ...(this.#options.previewColumns ? { columns: this.#options.previewColumns } : {}),
      });
      if (this.#phase !== 'running') return;
      this.#pub?.future.publish(message);
      this.#stats.previews++;
    } catch (err) {
      this.#diagnose(`imagined-future preview failed: ${(err as Error).message}`);
    }
  }

  #onOdometry(original: Odometry): void {
    const msg = this.#aligned(original, this.#odometryStamps, this.#t.clock.now());
    const refused = this.#odometry.push(msg);
    if (refused) {
      this.#diagnose(`odometry on ${this.#config.controller.odom_topic} ignored: ${refused}`);
      return;
    }
    this.#geometric.onOdometry(msg);
    const accepted = this.#odometry.latest;
    if (this.#episode.state !== 'navigating' || !accepted) return;
    this.#stuck.observeOdometry(accepted.stampNs, accepted.pose.ground);
    this.#checkStuck(accepted.stampNs);
  }

  /** The message with its stamp on this node's clock (see StampAligner); unchanged when it already is. */
  #aligned<M extends { header: { stamp: { sec: number; nanosec: number } } }>(
    msg: M,
    aligner: StampAligner,
    nowNs: TimeNs,
  ): M {
    let stampNs: TimeNs;
    try {
      stampNs = stampToNs(msg.header.stamp);
    } catch {
      return msg; // the intake reports the invalid stamp
    }
    const aligned = aligner.align(stampNs, nowNs);
    if (aligned.notice) this.#diagnose(aligned.notice);
    if (aligned.stampNs === stampNs) return msg;
    return { ...msg, header: { ...msg.header, stamp: nsToStamp(aligned.stampNs) } };
  }

  #checkStuck(stampNs: TimeNs): void {
    if (this.#episode.state !== 'navigating') return;
    const verdict = this.#stuck.assess(stampNs);
    if (verdict.stuck) this.#apply({ kind: 'stuck', timeNs: this.#t.clock.now(), detail: verdict.message });
  }

  #onInstruction(msg: StringMsg): void {
    let text: string;
    try {
      text = cleanInstruction(typeof msg.data === 'string' ? msg.data : '').text;
    } catch (err) {
      this.#diagnose(
        `instruction on ${this.#config.planner.instruction_topic} ignored: ${(err as Error).message}`,
      );
      return;
    }
    if (text === this.#episode.instruction && this.#episode.state === 'navigating') return;
    this.startEpisode(text);
  }

  #onCommand(msg: StringMsg): void {
    const command = parseCommand(msg.data);
    if (command === 'start') this.startEpisode();
    else if (command) this.cancel(`command "${command}"`);
    else {
      const topic = this.#config.planner.command_topic;
      this.#diagnose(
        `unknown command ${JSON.stringify(msg.data)} on ${topic}; expected ${PLANNER_COMMANDS.join(', ')}`,
      );
    }
  }

  /** The controller's JSON status; its arrival latch ends our episode. */
  #onController(msg: StringMsg): void {
    const arrival = arrivalFromControllerStatus(msg.data);
    if (!arrival) return;
    if ('error' in arrival) {
      this.#diagnose(arrival.error);
      return;
    }
    this.#apply({ kind: 'arrived', timeNs: this.#t.clock.now(), ...arrival });
  }

  #apply(event: EpisodeEvent): void {
    const step = episodeStep(this.#episode, event, { maxFailedPlans: this.#config.planner.max_failed_plans });
    this.#episode = step.episode;
    if (step.ignored) {
      if (event.kind === 'start' || event.kind === 'cancel') this.#diagnose(`${event.kind}: ${step.ignored}`);
      return;
    }
    if (!step.started && !step.ended) return;
    if (step.started) {
      this.#camera.resetSampler();
      this.#stuck.reset();
      this.#cycle.newEpisode(this.#episode.instruction);
    } else {
      this.#cycle.endEpisode();
    }
    const line = describeEpisode(this.#episode, event.timeNs);
    const bad = ['stuck', 'failed'].includes(this.#episode.state);
    if (bad) this.#t.log.warn(`planner: ${line}`);
    else this.#t.log.info(`planner: ${line}`);
    this.#publishStatus(line);
    // The controller stops on cancelled/stuck/failed through the heartbeat: tell it now, not at the next tick.
    this.#publishHeartbeat();
  }

  #publishHeartbeat(): void {
    const now = this.#t.clock.now();
    this.#pub?.heartbeat.publish({
      stamp: nsToStamp(now),
      sequence: ++this.#heartbeatSequence,
      episode_state: this.#refusal ? 'failed' : this.#episode.state,
      episode_id: this.#episode.id,
      camera_age_s: this.#lastFrameNs === undefined ? -1 : nsToSeconds(now - this.#lastFrameNs),
      planning: this.planning,
    });
  }

  #publishStatus(message: string, planSequence = 0, plan?: Plan): void {
    this.#pub?.status.publish(
      statusMessage({
        stampNs: plan?.inputStampNs ?? this.#t.clock.now(),
        // A refusing planner says failed in both its heartbeat and its status.
        episode: this.#refusal ? { ...this.#episode, state: 'failed' } : this.#episode,
        message,
        planSequence,
        ...(plan ? { timings: plan.timings } : {}),
        historyChunks: plan?.historyChunks ?? this.#planner.historySize,
        executionProvider: this.#planner.provider,
        untrained: this.#planner.provenance.untrained,
        actionSource: plan?.actionSource ?? this.#planner.actionSource,
        ...(plan?.actionConfidence !== undefined ? { actionConfidence: plan.actionConfidence } : {}),
      }),
    );
  }

  /** Logs every problem and publishes the first of each kind as a status (a bad camera would flood it). */
  #diagnose(problem: string): void {
    // Stamps, sizes and byte counts differ from message to message; the kind of problem does not. The set is
    // bounded so that a long run with many kinds cannot grow it without end (a forgotten kind is reported again).
    const key = problem.replace(/[\d.]+/g, '#');
    if (this.#reported.has(key)) {
      this.#t.log.debug(`planner: ${problem}`);
      return;
    }
    if (this.#reported.size >= MAX_REPORTED_KINDS)
      this.#reported.delete(this.#reported.values().next().value!);
    this.#reported.add(key);
    this.#t.log.warn(`planner: ${problem}`);
    this.#publishStatus(problem);
  }
}

/** planner.instruction as configured, within the bounds of messages/instruction.ts; '' (wait for one) otherwise. */
function startingInstruction(raw: string, log: { warn(message: string): void }): string {
  if (raw.trim() === '') return '';
  try {
    return cleanInstruction(raw).text;
  } catch (err) {
    log.warn(`planner: planner.instruction ignored: ${(err as Error).message}`);
    return '';
  }
}
