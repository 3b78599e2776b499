import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { statSync } from 'node:fs';
import { BagError, describeError } from '../../bag/errors';
import { ConfigError, defaultConfig, loadConfigFile, type SvnavConfig } from '../../config';
import { checkOutput, OutputError, samePath } from '../../io/output';
import { cleanInstruction, InstructionError } from '../../messages/instruction';
import { executionProviders, type ExecutionProviderName } from '../../config/schema';
import { ReplayInputError } from '../../replay/camera-topic';
import { progressBar } from '../../replay/progress';
import { runReplay, type ReplayOptions } from '../../replay/replay';
import { formatReplayReport, writeJsonReport, type ReplayReport } from '../../replay/report';
import { consoleLogger } from '../../transport/memory';
import { replayCodec } from '../../replay/recorder';
import { FoxgloveLiveServer, latchedTopicsFor } from '../../viz/live-server';
import { CliError, EXIT, exitForSignal } from '../exit';
import { withShutdownSignals, type ShutdownScope } from '../signals';

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
  force?: boolean;
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
    .option('--force', 'replace an existing --out / --report that svnav wrote (never anything else)')
    .action(async (input: string, options: ReplayCommandOptions) => {
      process.exitCode = await replayCommand(input, options);
    });
}

/** What a replay needs, checked before anything is loaded or written. */
interface PreparedReplay {
  readonly config: SvnavConfig;
  readonly instruction: string;
}

/** Runs one replay with a progress bar, signal handling and the live server; resolves to the exit status. */
export async function replayCommand(input: string, options: ReplayCommandOptions): Promise<number> {
  const say = (line: string): void => console.error(`svnav replay: ${line}`);
  let prepared: PreparedReplay;
  try {
    prepared = prepareReplay(input, options, say);
  } catch (err) {
    if (!isRefusal(err)) throw err;
    say(describeError(err));
    return EXIT.refused;
  }
  return withShutdownSignals((scope) => replayWithScope(input, options, prepared, scope, say));
}

/** Every check that needs no model and writes nothing: instruction, configuration, model path, output paths. */
function prepareReplay(
  input: string,
  options: ReplayCommandOptions,
  say: (line: string) => void,
): PreparedReplay {
  const { text, removed } = cleanInstruction(options.instruction);
  if (removed > 0) say(`removed ${removed} control/escape character(s) from the instruction`);
  const config = replayConfig(options);
  requireDirectory(config.model.dir, 'model directory');
  const inputs = [input, ...(options.config ? [options.config] : [])];
  if (options.report !== undefined && samePath(options.report, options.out)) {
    throw new CliError(`--report and --out are the same file (${options.out})`);
  }
  checkOutput(options.out, 'mcap', { force: options.force === true, inputs, option: '--out' });
  if (options.report !== undefined) {
    checkOutput(options.report, 'json-report', {
      force: options.force === true,
      inputs,
      option: '--report',
    });
  }
  return { config, instruction: text };
}

async function replayWithScope(
  input: string,
  options: ReplayCommandOptions,
  prepared: PreparedReplay,
  scope: ShutdownScope,
  say: (line: string) => void,
): Promise<number> {
  let live: FoxgloveLiveServer | undefined;
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    if (options.foxglovePort !== undefined) {
      live = await FoxgloveLiveServer.start({
        port: options.foxglovePort,
        codec: replayCodec(),
        latchedTopics: latchedTopicsFor(prepared.config),
        onError: (err) => say(`live view: ${err.message}`),
      });
      say(`Foxglove live view at ${live.url} (Open connection → Foxglove WebSocket)`);
    }
    const replayOptions: ReplayOptions = {
      input,
      output: options.out,
      instruction: prepared.instruction,
      config: prepared.config,
      configFromFile: options.config !== undefined,
      mode: options.realtime ? 'realtime' : 'deterministic',
      signal: scope.signal,
      replace: options.force === true,
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
      if (err instanceof ReplayInputError || (err instanceof BagError && err.file === input)) {
        say(err.message);
        return EXIT.refused;
      }
      say(`failed: ${describeError(err)} (nothing written to ${options.out})`);
      return EXIT.failed;
    }
    bar?.stop();
    return await finishReplay(report, options, scope, say);
  } finally {
    bar?.stop();
    await live?.close();
  }
}

/** Writes the report, prints the summary and decides the exit status of a replay that ran. */
async function finishReplay(
  report: ReplayReport,
  options: ReplayCommandOptions,
  scope: ShutdownScope,
  say: (line: string) => void,
): Promise<number> {
  if (options.report) {
    try {
      await writeJsonReport(options.report, report, { replace: options.force === true });
    } catch (err) {
      say(`failed to write the report: ${describeError(err)} (the output bag ${report.output} is complete)`);
      return EXIT.failed;
    }
  }
  process.stdout.write(formatReplayReport(report));
  console.log(`\noutput: ${report.output}${options.report ? `\nreport: ${options.report}` : ''}`);
  const received = scope.received();
  if (received) return exitForSignal(received);
  const unusable = unusableInput(report);
  if (unusable) {
    say(unusable);
    return EXIT.damagedInput;
  }
  return EXIT.ok;
}

/** Why a replay that ran produced nothing usable (a damaged bag, no plan at all), or undefined. */
export function unusableInput(report: ReplayReport): string | undefined {
  if (report.input_damage) return report.input_damage;
  if (!report.aborted && (report.planner.plans ?? 0) === 0) {
    const bad = report.planner.badFrames ?? 0;
    return (
      `no plan was made from ${report.camera_frames} camera frame(s) on ${report.camera.topic}` +
      (bad > 0 ? ` (${bad} refused: see the warnings)` : '')
    );
  }
  return undefined;
}

function isRefusal(err: unknown): boolean {
  return (
    err instanceof CliError ||
    err instanceof OutputError ||
    err instanceof ConfigError ||
    err instanceof InstructionError
  );
}

function requireDirectory(path: string, what: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new CliError(`${what} ${path} does not exist (build one with \`svnav build-model\`)`);
  }
  if (!isDirectory) throw new CliError(`${what} ${path} is not a directory`);
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
