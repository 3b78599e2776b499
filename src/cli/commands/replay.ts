import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { BagError } from '../../bag/errors';
import { ConfigError, defaultConfig, loadConfigFile, type SvnavConfig } from '../../config';
import { executionProviders, type ExecutionProviderName } from '../../config/schema';
import { ReplayInputError } from '../../replay/camera-topic';
import { progressBar } from '../../replay/progress';
import { runReplay, type ReplayOptions } from '../../replay/replay';
import { formatReplayReport, writeJsonReport, type ReplayReport } from '../../replay/report';
import { consoleLogger } from '../../transport/memory';
import { replayCodec } from '../../replay/recorder';
import { FoxgloveLiveServer, latchedTopicsFor } from '../../viz/live-server';

/** Exit statuses of `svnav replay` besides 0. */
export const EXIT_REPLAY = {
  /** The input bag was damaged: what was readable was replayed, the output and report are written. */
  damaged: 1,
  /** Nothing was replayed (no camera topic, untrained model not allowed, bad options); no output was written. */
  input: 2,
  interrupted: 130,
} as const;

export interface ReplayCommandOptions {
  instruction: string;
  model?: string;
  out: string;
  report?: string;
  realtime?: boolean;
  latencyMs?: number | 'measured';
  foxglovePort?: number;
  config?: string;
  cameraTopic?: string;
  providers?: ExecutionProviderName[];
  allowUntrained?: boolean;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'replay a rosbag2 .mcap through the planner and controller nodes; record and evaluate the result',
    )
    .argument('<in>', 'input .mcap with a camera topic (and odometry for the evaluation)')
    .requiredOption(
      '--instruction <text>',
      'navigation instruction, e.g. "walk forward to find a wooden chair"',
    )
    .requiredOption('--out <file>', 'output .mcap: input topics plus everything the nodes published')
    .option('--model <dir>', 'model directory (default: model.dir of the configuration)')
    .option('--report <file>', 'write the replay and evaluation report as JSON')
    .option('--realtime', 'pace by wall time with real planner latency (default: deterministic virtual time)')
    .option(
      '--latency-ms <ms|measured>',
      'modelled planner latency in deterministic mode (default 350)',
      parseLatency,
    )
    .option(
      '--foxglove-port <port>',
      'serve the outputs live over the Foxglove WebSocket protocol',
      parsePort,
    )
    .option('--config <file>', 'parameter file (topics, limits, model); its camera topic must be in the bag')
    .option('--camera-topic <topic>', 'camera topic to replay (default: detected from the bag)')
    .option(
      '--providers <list>',
      `execution providers in order, from ${executionProviders.join(',')}`,
      parseProviders,
    )
    .option('--allow-untrained', 'replay a model with seeded (untrained) networks')
    .action(async (input: string, options: ReplayCommandOptions) => {
      process.exitCode = await replayCommand(input, options);
    });
}

/** Runs one replay with a progress bar, Ctrl-C handling and the live server; resolves to the exit status. */
export async function replayCommand(input: string, options: ReplayCommandOptions): Promise<number> {
  let config: SvnavConfig;
  try {
    config = replayConfig(options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`svnav replay: ${err.message}`);
    return EXIT_REPLAY.input;
  }
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  let live: FoxgloveLiveServer | undefined;
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    if (options.foxglovePort !== undefined) {
      live = await FoxgloveLiveServer.start({
        port: options.foxglovePort,
        codec: replayCodec(),
        latchedTopics: latchedTopicsFor(config),
        onError: (err) => console.error(`svnav replay: live view: ${err.message}`),
      });
      console.error(`svnav replay: Foxglove live view at ${live.url} (Open connection → Foxglove WebSocket)`);
    }
    const replayOptions: ReplayOptions = {
      input,
      output: options.out,
      instruction: options.instruction,
      config,
      configFromFile: options.config !== undefined,
      mode: options.realtime ? 'realtime' : 'deterministic',
      signal: abort.signal,
      log: consoleLogger('svnav'),
      onProgress: (p) => {
        bar ??= progressBar('replay', p.total_s, 's');
        bar.update(p.done_s, { frames: p.frames, plans: p.plans });
      },
      ...(options.cameraTopic ? { cameraTopic: options.cameraTopic } : {}),
      ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
      ...(live ? { live } : {}),
    };
    let report: ReplayReport;
    try {
      report = await runReplay(replayOptions);
    } catch (err) {
      bar?.stop();
      // A bag that cannot be opened at all is an input problem too (BagError names the file).
      if (!(err instanceof ReplayInputError || err instanceof BagError)) throw err;
      console.error(`svnav replay: ${err.message}`);
      return EXIT_REPLAY.input;
    }
    bar?.stop();
    if (options.report) await writeJsonReport(options.report, report);
    process.stdout.write(formatReplayReport(report));
    console.log(`\noutput: ${report.output}${options.report ? `\nreport: ${options.report}` : ''}`);
    if (report.input_damage) {
      console.error(`svnav replay: ${report.input_damage}`);
      return EXIT_REPLAY.damaged;
    }
    return report.aborted ? EXIT_REPLAY.interrupted : 0;
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
    await live?.close();
  }
}

function replayConfig(options: ReplayCommandOptions): SvnavConfig {
  const base = options.config ? loadConfigFile(options.config) : defaultConfig();
  return {
    ...base,
    model: {
      ...base.model,
      ...(options.model ? { dir: options.model } : {}),
      ...(options.providers ? { execution_providers: options.providers } : {}),
      ...(options.allowUntrained ? { allow_untrained: true } : {}),
    },
  };
}

function parseLatency(value: string): number | 'measured' {
  if (value === 'measured') return value;
  const ms = Number(value);
  if (!(Number.isFinite(ms) && ms >= 0 && ms <= 10_000)) {
    throw new InvalidArgumentError(`expected milliseconds in [0, 10000] or "measured", got "${value}"`);
  }
  return ms;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new InvalidArgumentError(`expected a TCP port 0…65535, got "${value}"`);
  }
  return port;
}

export function parseProviders(value: string): ExecutionProviderName[] {
  const list = value.split(',').map((s) => s.trim());
  const bad = list.filter((p) => !(executionProviders as readonly string[]).includes(p));
  if (list.length === 0 || bad.length > 0) {
    throw new InvalidArgumentError(
      `unknown provider(s) ${bad.join(', ')}; choose from ${executionProviders.join(', ')}`,
    );
  }
  return list as ExecutionProviderName[];
}
