import { BagError, describeError } from '../bag/errors';
import { offeredQosYaml, RELIABLE_QOS, SENSOR_QOS } from '../bag/qos';
import { BagReader, type BagMessage } from '../bag/reader';
import type { SvnavConfig } from '../config/schema';
import { controlPeriodNs } from '../controller';
import { samePath } from '../io/output';
import { ManifestError } from '../model/manifest';
import { nsToSeconds, type TimeNs } from '../messages/time';
import { plannerOptions } from '../nodes/planner/entry';
import { wireNavigationNodes } from '../nodes/wiring';
import { Planner } from '../planner/planner';
import { VirtualClock, silentLogger } from '../transport/memory';
import type { Logger } from '../transport/transport';
import type { FoxgloveLiveServer } from '../viz/live-server';
import { BagTransport } from './bag-transport';
import { chooseCameraTopic, ReplayInputError } from './camera-topic';
import { evaluateBag } from './evaluate';
import { DEFAULT_LATENCY_MS, planDelayRules, type LatencyModel } from './latency';
import { PacedClock } from './paced-clock';
import { replayCodec, ReplayRecorder } from './recorder';
import { REPLAY_REPORT_VERSION, type ReplayReport } from './report';
import { periodStats } from './twist-timing';
import { VizNode } from '../viz/node';

export interface ReplayOptions {
  readonly input: string;
  readonly output: string;
  readonly instruction: string;
  /** The robot's configuration (a file or the defaults); model.dir names the model unless `planner` is given. */
  readonly config: SvnavConfig;
  /** The configuration came from a file: its camera topic must be in the bag (otherwise it is detected). */
  readonly configFromFile?: boolean;
  /** Camera topic to replay, overriding the configuration. */
  readonly cameraTopic?: string;
  /** Default 'deterministic' (virtual time, modelled latency); 'realtime' paces by wall time. */
  readonly mode?: 'deterministic' | 'realtime';
  /** Deterministic mode: modelled planner latency in ms, or 'measured' (the warm-up plan). Default 350. */
  readonly latencyMs?: number | 'measured';
  /** An already loaded planner (kept open); otherwise one is loaded from config.model and closed at the end. */
  readonly planner?: Planner;
  readonly live?: FoxgloveLiveServer;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly log?: Logger;
  /** The output may replace an existing bag at its path (one svnav wrote); default false. */
  readonly replace?: boolean;
}

export interface ReplayProgress {
  readonly done_s: number;
  readonly total_s: number;
  readonly frames: number;
  readonly plans: number;
}

const MAX_WARNINGS = 50;
/** Input topics that a node also publishes are recorded under this prefix (the bag's own /cmd_vel, say). */
export const RECORDED_INPUT_PREFIX = '/recorded';

/**
 * Replays a bag through the planner and controller nodes as wired on the robot, on the bag's clock, recording
 * inputs and outputs into `output`, then evaluates the output. Bag damage ends reading but not the replay: the
 * output is closed and evaluated, and the report names the damage. An aborted replay does the same.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const started = performance.now();
  const log = options.log ?? silentLogger();
  const mode = options.mode ?? 'deterministic';
  const warnings: string[] = [];
  const warn = (message: string): void => {
    log.warn(message);
    if (warnings.length < MAX_WARNINGS) warnings.push(message);
    else if (warnings.length === MAX_WARNINGS) warnings.push('… further warnings only in the log');
  };
  if (samePath(options.input, options.output)) {
    throw new ReplayInputError(`the output ${options.output} is the input bag; write the output elsewhere`);
  }
  const reader = await BagReader.open(options.input, { onWarning: (w) => warn(w.message) });
  let ownPlanner: Planner | undefined;
  try {
    const startNs = reader.startTimeNs;
    const endNs = reader.endTimeNs;
    if (startNs === undefined || endNs === undefined) {
      throw new ReplayInputError(
        `${options.input}: the bag holds no messages${reader.damage ? ` (${reader.damage.message})` : ''}`,
      );
    }
    const camera = chooseCameraTopic(
      options.input,
      reader.topics(),
      { ...options.config.camera, ...(options.cameraTopic ? { topic: options.cameraTopic } : {}) },
      options.configFromFile === true || options.cameraTopic !== undefined,
    );
    const config: SvnavConfig = {
      ...options.config,
      camera: { ...options.config.camera, topic: camera.topic, type: camera.type },
      planner: { ...options.config.planner, instruction: options.instruction },
    };
    const cameraEncoding = reader.topics().find((t) => t.name === camera.topic)?.messageEncoding;
    if (cameraEncoding !== 'cdr') {
      throw new ReplayInputError(
        `${options.input}: camera topic ${camera.topic} has message encoding '${cameraEncoding}' ` +
          `(written by ${reader.library || 'an unknown tool'}); svnav replays CDR-encoded rosbag2 bags`,
      );
    }
    log.info(`replay: camera ${camera.topic} (${camera.type}, ${camera.how})`);

    let planner = options.planner;
    let measuredMs: number | undefined;
    if (!planner) {
      const loaded = await loadPlanner(config, log);
      planner = ownPlanner = loaded.planner;
      measuredMs = loaded.report.warmup.totalMs;
    }
    if (planner.provenance.untrained && !config.model.allow_untrained) {
      throw new ReplayInputError(
        `model ${config.model.dir} is untrained (seeded ${planner.provenance.seededNetworks.join(', ')}); ` +
          'pass --allow-untrained (or model.allow_untrained) to replay it anyway',
      );
    }
    const latency = latencyModel(mode, options.latencyMs, measuredMs);

    const clock = mode === 'realtime' ? new PacedClock(startNs) : new VirtualClock(startNs);
    // Node warnings and errors (a bad frame, a stuck episode) also go into the report.
    const nodeLog: Logger = {
      debug: (m) => log.debug(m),
      info: (m) => log.info(m),
      warn,
      error: (m) => {
        log.error(m);
        if (warnings.length < MAX_WARNINGS) warnings.push(`error: ${m}`);
      },
    };
    const transport = new BagTransport({ clock, log: nodeLog, delays: planDelayRules(config, latency) });
    const nodes = wireNavigationNodes(transport, config, planner);
    const viz = new VizNode(transport, config);
    const twistWallNs: bigint[] = [];
    let plansDelivered = 0;
    transport
      .subscribe(config.planner.plan_topic, 'sparse_video_nav/msg/Plan')
      .subscribe(() => plansDelivered++);
    if (mode === 'realtime') {
      transport
        .subscribe(config.controller.cmd_vel_topic, 'geometry_msgs/msg/Twist')
        .subscribe(() => plansDelivered > 0 && twistWallNs.push(process.hrtime.bigint()));
    }
    viz.start();
    nodes.start();

    const inputName = (topic: string): string =>
      transport.nodeTopics.has(topic) ? `${RECORDED_INPUT_PREFIX}${topic}` : topic;
    const recorder = await ReplayRecorder.create(options.output, {
      replace: options.replace ?? false,
      codec: replayCodec(),
      qosProfiles: qosProfiles(config, reader, inputName, transport.nodeTopics),
      ...(options.live ? { live: options.live } : {}),
      warn,
    });

    let frames = 0;
    let inputMessages = 0;
    let lastNs = startNs;
    let damage: BagError | undefined;
    let failure: unknown;
    let aborted = false;
    const unroutable = new Set<string>();
    const loopStarted = performance.now();
    const inject = (m: BagMessage): void => {
      if (transport.nodeTopics.has(m.topic) || unroutable.has(m.topic)) return;
      try {
        transport.inject(m.topic, m.type, m.message);
      } catch (err) {
        unroutable.add(m.topic);
        warn(`topic ${m.topic} (${m.type}) not fed to the nodes: ${describeError(err)}`);
      }
    };
    try {
      for await (const m of reader.messages()) {
        if (options.signal?.aborted) {
          aborted = true;
          break;
        }
        if (clock instanceof PacedClock) await sleepUntil(clock, m.logTimeNs, options.signal);
        else if (m.logTimeNs > clock.now()) transport.advanceTo(m.logTimeNs);
        lastNs = m.logTimeNs > lastNs ? m.logTimeNs : lastNs;
        inputMessages++;
        recorder.record(inputName(m.topic), m.type, m.logTimeNs, m.message, m.publishTimeNs);
        inject(m);
        if (m.topic === camera.topic) {
          frames++;
          if (mode === 'deterministic') await nodes.idle();
          await recorder.settled();
          options.onProgress?.({
            done_s: nsToSeconds(lastNs - startNs),
            total_s: nsToSeconds(endNs - startNs),
            frames,
            plans: plansDelivered,
          });
        }
        recorder.recordAll(transport.drain());
        if (recorder.failure) throw recorder.failure;
      }
      if (options.signal?.aborted) aborted = true;
      const skipped = reader.skippedChunks;
      if (skipped.length > 0) {
        damage = new BagError(
          `${skipped.length} corrupt chunk(s) skipped, the rest was replayed; first: ${skipped[0]!.message}`,
        );
      }
    } catch (err) {
      if (!(err instanceof BagError) || err.file !== options.input) {
        failure = err;
        throw err;
      }
      damage = err;
      log.error(`replay: ${err.message}; replaying what was readable`);
    } finally {
      // Work already started finishes, delayed results arrive, then the nodes stop (zero Twist, StopMove).
      await nodes.idle();
      if (clock instanceof VirtualClock) {
        const due = transport.nextDueNs;
        if (due !== undefined) transport.advanceTo(due > clock.now() ? due : clock.now());
        while (transport.nextDueNs !== undefined) transport.advanceTo(transport.nextDueNs);
      }
      await nodes.stop(aborted ? 'replay interrupted' : damage ? 'input bag damaged' : 'end of bag');
      viz.stop();
      recorder.recordAll(transport.drain());
      await transport.close();
      // A failed replay (a write error, a full disk) leaves nothing under the output's name.
      await (failure === undefined ? recorder.close() : recorder.discard());
    }

    const replay_wall_s = (performance.now() - loopStarted) / 1000;
    const evaluation = await evaluateBag(options.output, config, { onWarning: (w) => warn(w.message) });
    const wall_s = (performance.now() - started) / 1000;
    const stats = nodes.planner.stats;
    return {
      version: REPLAY_REPORT_VERSION,
      input: options.input,
      output: options.output,
      instruction: options.instruction,
      mode,
      latency_model: latency,
      camera,
      model: {
        dir: config.model.dir,
        untrained: planner.provenance.untrained,
        provider: planner.provider,
        resolution: planner.resolution,
      },
      bag_duration_s: nsToSeconds(endNs - startNs),
      replayed_s: nsToSeconds(lastNs - startNs),
      camera_frames: frames,
      input_messages: inputMessages,
      output_messages: Object.fromEntries(
        [...recorder.counts].filter(([topic]) => transport.nodeTopics.has(topic)),
      ),
      planner: { ...stats },
      wall_s,
      replay_wall_s,
      frames_per_wall_s: frames / replay_wall_s,
      twist_timing:
        mode === 'realtime' ? periodStats(twistWallNs, controlPeriodNs(config.controller.rate_hz)) : null,
      aborted,
      input_damage: damage?.message ?? null,
      warnings,
      eval: evaluation.report,
    };
  } finally {
    await reader.close();
    await ownPlanner?.close();
  }
}

/** Loads the configured model; a model directory that cannot be used is an input error naming it. */
async function loadPlanner(config: SvnavConfig, log: Logger): ReturnType<typeof Planner.load> {
  try {
    return await Planner.load(plannerOptions(config, (line) => log.info(`planner: ${line}`)));
  } catch (err) {
    if (err instanceof ManifestError) throw new ReplayInputError(`model: ${err.message}`, { cause: err });
    throw err;
  }
}

function latencyModel(
  mode: 'deterministic' | 'realtime',
  latencyMs: number | 'measured' | undefined,
  measuredMs: number | undefined,
): LatencyModel {
  if (mode === 'realtime') return { kind: 'wall_clock' };
  if (latencyMs === 'measured') {
    if (measuredMs === undefined)
      throw new Error('a measured latency needs the planner loaded by the replay');
    return { kind: 'fixed', latency_ms: Math.round(measuredMs), source: 'measured' };
  }
  const ms = latencyMs ?? DEFAULT_LATENCY_MS;
  if (!(Number.isFinite(ms) && ms >= 0 && ms <= 10_000)) {
    throw new RangeError(`modelled latency must be in [0, 10000] ms, got ${ms}`);
  }
  return { kind: 'fixed', latency_ms: ms, source: 'configured' };
}

/** Input topics keep the QoS they were recorded with; node topics get the QoS their publishers use. */
function qosProfiles(
  config: SvnavConfig,
  reader: BagReader,
  inputName: (topic: string) => string,
  nodeTopics: ReadonlyMap<string, string>,
): Record<string, string> {
  const latched = offeredQosYaml({ reliability: 'reliable', depth: 1, durability: 'transient_local' });
  const out: Record<string, string> = {};
  for (const t of reader.topics()) out[inputName(t.name)] = t.offeredQosProfiles;
  for (const topic of nodeTopics.keys()) out[topic] = offeredQosYaml(RELIABLE_QOS);
  out[config.planner.future_topic] = offeredQosYaml(SENSOR_QOS);
  out[config.planner.status_topic] = latched;
  out[config.controller.status_topic] = latched;
  return out;
}

/** Waits until the paced clock reaches `timeNs` (or the replay is aborted). */
async function sleepUntil(clock: PacedClock, timeNs: TimeNs, signal: AbortSignal | undefined): Promise<void> {
  const ms = clock.msUntil(timeNs);
  if (ms <= 0 || signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
