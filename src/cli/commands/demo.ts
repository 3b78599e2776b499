import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openBag } from '../../bag/reader';
import { generateDemoBag } from '../../bag/demo-bag';
import { defaultConfig } from '../../config';
import type { ExecutionProviderName } from '../../config/schema';
import { nsToSeconds } from '../../messages/time';
import { buildModelDirectory } from '../../model/build';
import { TINY } from '../../model/presets';
import { openModelDirectory } from '../../planner/model-dir';
import { progressBar } from '../../replay/progress';
import { runReplay } from '../../replay/replay';
import { formatReplayReport, writeJsonReport, type ReplayReport } from '../../replay/report';
import { consoleLogger, silentLogger } from '../../transport/memory';
import { checkOutput, ownershipProblem } from '../../io/output';
import { CliError, exitForSignal } from '../exit';
import { packageRoot } from '../package-root';
import { withShutdownSignals } from '../signals';
import { parseProviders } from './replay';

export const DEMO_INSTRUCTION = 'walk forward to find a wooden chair and stop next to it';
export const DEMO_FILES = {
  input: 'go2_demo_input.mcap',
  replay: 'go2_demo_replay.mcap',
  report: 'report.json',
} as const;

export interface DemoOptions {
  out: string;
  duration: number;
  model: string;
  providers: ExecutionProviderName[];
  quiet?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'build the tiny model and a demo bag if missing, replay it, evaluate, and say how to view it',
    )
    .option('--out <dir>', 'output directory', 'out/demo')
    .option('--duration <s>', 'length of the demo bag in seconds', parseDuration, 40)
    .option(
      '--model <dir>',
      'tiny model directory (built if missing; rebuilt if it is an svnav model that does not open)',
      'models/tiny',
    )
    .option('--providers <list>', 'execution providers in order', parseProviders, ['cpu'])
    .option('--quiet', 'no node logs')
    .action(async (options: DemoOptions) => {
      process.exitCode = await demoCommand(options);
    });
}

export interface DemoResult {
  readonly report: ReplayReport;
  readonly files: { readonly input: string; readonly replay: string; readonly report: string };
  readonly built: { readonly model: boolean; readonly bag: boolean };
}

/** The demo end to end; returns the exit status (0, or 128+N when stopped by signal N). */
export async function demoCommand(options: DemoOptions): Promise<number> {
  return withShutdownSignals(async (scope) => {
    const result = await runDemo(options, scope.signal);
    const r = result.report;
    process.stdout.write(formatReplayReport(r));
    process.stdout.write(demoEpilogue(result));
    const received = scope.received();
    return received ? exitForSignal(received) : r.aborted ? 130 : 0;
  });
}

export async function runDemo(options: DemoOptions, signal?: AbortSignal): Promise<DemoResult> {
  const say = (line: string) => console.error(`svnav demo: ${line}`);
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const files = {
    input: join(outDir, DEMO_FILES.input),
    replay: join(outDir, DEMO_FILES.replay),
    report: join(outDir, DEMO_FILES.report),
  };
  // The demo rewrites its own files on every run, but never a file it did not write (io/output.ts).
  for (const file of [files.input, files.replay]) checkOutput(file, 'mcap', { force: true });
  checkOutput(files.report, 'json-report', { force: true });
  const modelDir = resolve(options.model);
  const builtModel = await ensureTinyModel(modelDir, say);
  const builtBag = await ensureDemoBag(files.input, options.duration, say, signal);

  const base = defaultConfig();
  const config = {
    ...base,
    // The demo's networks are seeded, not trained: allowed here on purpose and flagged on every plan.
    model: { ...base.model, dir: modelDir, execution_providers: options.providers, allow_untrained: true },
    // Untrained networks command almost no motion, which arrival detection would read as "arrived" after three
    // plans; the demo keeps planning through the whole bag so every stage can be looked at.
    safety: { ...base.safety, arrival_consecutive_plans: 1_000_000 },
  };
  say(`replaying ${files.input} with "${DEMO_INSTRUCTION}" (UNTRAINED networks: actions are not meaningful)`);
  say('arrival detection is off in the demo: untrained plans barely move the robot');
  let bar: ReturnType<typeof progressBar> | undefined;
  let report: ReplayReport;
  try {
    report = await runReplay({
      input: files.input,
      output: files.replay,
      instruction: DEMO_INSTRUCTION,
      config,
      replace: true,
      log: options.quiet ? silentLogger() : consoleLogger('svnav'),
      ...(signal ? { signal } : {}),
      onProgress: (p) => {
        bar ??= progressBar('replay', p.total_s, 's');
        bar.update(p.done_s, { frames: p.frames, plans: p.plans });
      },
    });
  } finally {
    bar?.stop();
  }
  await writeJsonReport(files.report, report, { replace: true });
  return { report, files, built: { model: builtModel, bag: builtBag } };
}

/**
 * Builds the tiny model unless `dir` holds one that opens. An svnav model directory that no longer opens
 * (outdated, a file changed) is rebuilt; anything else at `dir` (a damaged model.json, other files) is left
 * alone and the demo stops, naming it.
 */
async function ensureTinyModel(dir: string, say: (line: string) => void): Promise<boolean> {
  let replace = false;
  if (existsSync(dir)) {
    const problem = ownershipProblem(dir, 'model-dir');
    if (problem !== undefined) {
      throw new CliError(
        `--model ${dir} ${problem}; the demo will not replace it: remove it yourself or pass another --model`,
      );
    }
    if (existsSync(join(dir, 'model.json'))) {
      try {
        await openModelDirectory(dir);
        return false;
      } catch (err) {
        say(`model in ${dir} is outdated or damaged (${(err as Error).message}); rebuilding it`);
        replace = true;
      }
    }
  }
  say(`building the tiny model (seeded weights) into ${dir}`);
  await buildModelDirectory({ preset: TINY, outDir: dir, floatType: 'float32', seed: 0, force: replace });
  return true;
}

/** Generates the demo bag unless one of (about) the requested length is there and readable. */
async function ensureDemoBag(
  path: string,
  duration_s: number,
  say: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (existsSync(path)) {
    try {
      const reader = await openBag(path, { onWarning: () => undefined });
      const start = reader.startTimeNs;
      const end = reader.endTimeNs;
      const ok = !reader.damage && start !== undefined && end !== undefined;
      await reader.close();
      if (ok && Math.abs(nsToSeconds(end - start) - duration_s) < 1) return false;
    } catch {
      // Unreadable: generate it again.
    }
  }
  say(`generating the ${duration_s} s demo bag (1280×720 JPEG camera, odometry, turns) into ${path}`);
  const bar = progressBar('demo bag', duration_s, 's');
  try {
    const result = await generateDemoBag(path, {
      duration_s,
      replace: true,
      ...(signal ? { signal } : {}),
      onProgress: (done) => bar.update(done, { frames: 0, plans: 0 }),
    });
    if (result.aborted) throw new Error('interrupted while generating the demo bag');
  } finally {
    bar.stop();
  }
  return true;
}

function demoEpilogue(result: DemoResult): string {
  const layout = join(packageRoot(), 'foxglove', 'sparse_video_nav.layout.json');
  return [
    '',
    'NOTE: the demo model is the released architecture at tiny sizes with seeded (untrained) weights: the plans,',
    'imagined futures and velocity commands show the runtime working end to end, not navigation skill. Run the',
    'released checkpoint with `svnav build-model --checkpoint DIR --out models/svn` (see the README).',
    '',
    'files:',
    `  input bag:   ${result.files.input}`,
    `  replay bag:  ${result.files.replay}`,
    `  report:      ${result.files.report}`,
    '',
    'view it in Foxglove (app or https://app.foxglove.dev):',
    `  1. Open local file… → ${result.files.replay}`,
    `  2. Layout → Import from file… → ${layout}`,
    '  3. The camera panel shows /camera/image_raw/compressed with the plan drawn on it',
    '     (/svnav/viz/path_annotations), the 3D panel /svnav/viz/path_scene, the imagined future',
    '     /svnav/imagined_future, the commands /cmd_vel (the recorded ones are /recorded/cmd_vel).',
    '',
  ].join('\n');
}

function parseDuration(value: string): number {
  const s = Number(value);
  if (!(Number.isFinite(s) && s > 0 && s <= 600)) {
    throw new InvalidArgumentError(`expected seconds in (0, 600], got "${value}"`);
  }
  return s;
}
