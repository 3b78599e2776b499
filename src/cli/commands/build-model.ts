import type { Command } from 'commander';
import { buildModelDirectory, describeModel, type DryRunReport, formatCount } from '../../model/build';
import { resolve } from 'node:path';
import { checkOutput, discardTemporary } from '../../io/output';
import { openCheckpoint } from '../../model/checkpoint/open';
import { type ModelPreset, PRESETS, type PresetName } from '../../model/presets';
import { CliError, exitForSignal, type ShutdownSignal } from '../exit';

interface BuildModelFlags {
  preset: string;
  out?: string;
  dtype: string;
  seed: string;
  checkpoint?: string;
  textLen?: string;
  tokenizer?: string;
  history: string;
  externalData: string;
  attention: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

export function registerBuildModelCommand(program: Command): void {
  program
    .command('build-model')
    .description('build the SparseVideoNav networks as ONNX files with a model.json manifest')
    .option('--preset <name>', 'tiny (CI size) or official (the released sizes, seeded)', 'tiny')
    .option(
      '--checkpoint <dir>',
      'the downloaded OpenDriveLab/SparseVideoNav_VGM folder: sizes and weights come from it (overrides --preset)',
    )
    .option('--text-len <n>', 'tokenizer length text_len of a checkpoint build', '512')
    .option('--out <dir>', 'model directory to write')
    .option('--dtype <type>', 'fp32 or fp16', 'fp32')
    .option('--seed <n>', 'seed of the deterministic initialisation', '0')
    .option(
      '--tokenizer <file>',
      'seeded builds: a Hugging Face tokenizer.json (default: a generated tiny one)',
    )
    .option('--history <list>', 'dry run: history lengths in chunks to count FLOPs at', '1,15,45')
    .option('--external-data <mode>', 'auto | always | never', 'auto')
    .option(
      '--attention <impl>',
      'fused (MultiHeadAttention) or unfused (MatMul/Softmax; exact on every EP)',
      'fused',
    )
    .option('--force', 'replace an existing model directory that svnav built (never anything else)')
    .option('--dry-run', 'count parameters and FLOPs per plan without writing weights')
    .option('--json', 'print the dry-run report as JSON')
    .action(async (flags: BuildModelFlags) => {
      const options = parseBuildFlags(flags);
      // Opened only once every flag is valid, and closed on every path.
      const checkpoint = flags.checkpoint
        ? openCheckpoint(flags.checkpoint, { textLen: options.textLen })
        : undefined;
      const preset: ModelPreset = checkpoint?.preset ?? PRESETS[flags.preset as PresetName];
      if (flags.dryRun) {
        checkpoint?.close();
        printDryRun(preset, options.floatType, flags);
        return;
      }
      await buildCommand(flags, options, preset, checkpoint);
    });
}

interface BuildOptions {
  readonly textLen: number;
  readonly floatType: 'float32' | 'float16';
  readonly seed: number;
  readonly externalData: 'auto' | 'always' | 'never';
  readonly attention: 'fused' | 'unfused';
}

/** Every flag checked before anything is opened or written; a bad one is a usage error naming it. */
function parseBuildFlags(flags: BuildModelFlags): BuildOptions {
  if (!(flags.preset in PRESETS))
    throw new CliError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${flags.preset}`);
  const textLen = Number(flags.textLen);
  if (!Number.isInteger(textLen) || textLen < 2)
    throw new CliError(`--text-len must be an integer ≥ 2, got ${flags.textLen}`);
  const floatType = ({ fp32: 'float32', fp16: 'float16' } as const)[flags.dtype as 'fp32' | 'fp16'];
  if (!floatType) throw new CliError(`--dtype must be fp32 or fp16, got ${flags.dtype}`);
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new CliError(`--seed must be a non-negative integer, got ${flags.seed}`);
  const externalData = flags.externalData;
  if (externalData !== 'auto' && externalData !== 'always' && externalData !== 'never') {
    throw new CliError(`--external-data must be auto, always or never, got ${flags.externalData}`);
  }
  if (flags.attention !== 'fused' && flags.attention !== 'unfused') {
    throw new CliError(`--attention must be fused or unfused, got ${flags.attention}`);
  }
  return { textLen, floatType, seed, externalData, attention: flags.attention };
}

function printDryRun(preset: ModelPreset, floatType: 'float32' | 'float16', flags: BuildModelFlags): void {
  const history = flags.history.split(',').map(Number);
  if (history.some((n) => !Number.isInteger(n) || n < 1 || n > preset.history.qformer.maxFrames)) {
    throw new CliError(
      `--history must list chunk counts from 1 to ${preset.history.qformer.maxFrames}, got ${flags.history}`,
    );
  }
  const report = describeModel(preset, floatType, history);
  process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatDryRun(report));
}

async function buildCommand(
  flags: BuildModelFlags,
  options: BuildOptions,
  preset: ModelPreset,
  checkpoint: ReturnType<typeof openCheckpoint> | undefined,
): Promise<void> {
  if (!flags.out) {
    checkpoint?.close();
    throw new CliError('--out DIR is required (or use --dry-run)');
  }
  const inputs = [
    ...(flags.checkpoint ? [flags.checkpoint] : []),
    ...(flags.tokenizer ? [flags.tokenizer] : []),
  ];
  try {
    checkOutput(flags.out, 'model-dir', { force: flags.force === true, inputs, option: '--out' });
  } catch (err) {
    checkpoint?.close();
    throw err;
  }
  const started = Date.now();
  const stopBuilding = removePartialOnSignal(`${resolve(flags.out)}.partial-${process.pid}`);
  const manifest = await buildModelDirectory({
    force: flags.force === true,
    preset,
    outDir: flags.out,
    floatType: options.floatType,
    seed: options.seed,
    ...(checkpoint ? { checkpoint } : {}),
    ...(flags.tokenizer ? { tokenizer: flags.tokenizer } : {}),
    externalData: options.externalData,
    attention: options.attention,
    log: (line) => console.log(line),
  }).finally(() => {
    stopBuilding();
    checkpoint?.close();
  });
  const untrained = [
    ...(manifest.trained.video_generator ? [] : ['the video generator']),
    ...(manifest.trained.action_head ? [] : ['the action head (not released)']),
  ];
  console.log(
    `wrote ${flags.out} (${manifest.preset}, ${manifest.dtype}, ${manifest.resolution.height}×${manifest.resolution.width}) in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s` +
      (untrained.length ? ` — seeded (untrained): ${untrained.join(' and ')}` : ''),
  );
}

/**
 * A build cannot stop halfway through writing a network, so SIGINT, SIGTERM and SIGHUP remove the partial
 * directory (build.ts's `<out>.partial-<pid>`) and exit 128+N; the target is untouched.
 */
function removePartialOnSignal(partial: string): () => void {
  const signals: ShutdownSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const handler = (signal: ShutdownSignal): void => {
    discardTemporary(partial);
    process.exit(exitForSignal(signal));
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.removeListener(s, handler);
  };
}

export function formatDryRun(r: DryRunReport): string {
  const rows = r.networks.map((n) => [
    n.historyChunks ? `${n.key} (N=${n.historyChunks})` : n.key,
    formatCount(n.parameters),
    formatCount(n.macsPerCall),
    String(n.callsPerPlan),
    n.gflopsPerPlan < 10 ? n.gflopsPerPlan.toFixed(3) : n.gflopsPerPlan.toFixed(0),
    n.note,
  ]);
  const head = ['network', 'params', 'MAC/call', 'calls/plan', 'GFLOP/plan', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    `preset ${r.preset} at ${r.resolution.height}×${r.resolution.width}, ${r.dtype}`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    `total parameters ${formatCount(r.parameters.total)} (${(r.weightBytes / 1024 ** 3).toFixed(2)} GiB of weights); ` +
      `critical path per plan: ${r.tflopsPerPlan.map((t) => `${formatFlops(t.tflops)} at ${t.historyChunks} history chunks`).join(', ')}`,
    '',
  ].join('\n');
}

function formatFlops(tflops: number): string {
  return tflops >= 1 ? `${tflops.toFixed(2)} TFLOP` : `${(tflops * 1e3).toFixed(2)} GFLOP`;
}
