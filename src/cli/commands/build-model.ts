import type { Command } from 'commander';
import { buildModelDirectory, describeModel, type DryRunReport, formatCount } from '../../model/build';
import { PRESETS, type PresetName, withResolution } from '../../model/presets';
import { resolve } from 'node:path';
import { checkOutput, discardTemporary } from '../../io/output';
import { CliError, exitForSignal, type ShutdownSignal } from '../exit';

interface BuildModelFlags {
  preset: string;
  out?: string;
  dtype: string;
  seed: string;
  weights?: string[];
  tokenizer?: string;
  resolution?: string;
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
    .option('--preset <name>', 'tiny (CI size) or full (paper sizes)', 'tiny')
    .option('--out <dir>', 'model directory to write')
    .option('--dtype <type>', 'fp32 or fp16', 'fp32')
    .option('--seed <n>', 'seed of the deterministic initialisation', '0')
    .option('--weights <files...>', '.safetensors checkpoints (Diffusers names), optionally KEY=FILE')
    .option('--tokenizer <file>', "a Hugging Face tokenizer.json (umT5's for real weights)")
    .option('--resolution <HxW>', 'model input resolution, multiples of 16 (default: the preset’s)')
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
      if (!(flags.preset in PRESETS))
        throw new CliError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${flags.preset}`);
      let preset = PRESETS[flags.preset as PresetName];
      if (flags.resolution) {
        const m = /^(\d+)x(\d+)$/.exec(flags.resolution);
        if (!m) throw new CliError(`--resolution must look like 256x448, got ${flags.resolution}`);
        try {
          preset = withResolution(preset, Number(m[1]), Number(m[2]));
        } catch (err) {
          throw new CliError(`--resolution ${flags.resolution}: ${(err as Error).message}`);
        }
      }
      const floatType = ({ fp32: 'float32', fp16: 'float16' } as const)[flags.dtype as 'fp32' | 'fp16'];
      if (!floatType) throw new CliError(`--dtype must be fp32 or fp16, got ${flags.dtype}`);
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed) || seed < 0)
        throw new CliError(`--seed must be a non-negative integer, got ${flags.seed}`);
      if (!['auto', 'always', 'never'].includes(flags.externalData)) {
        throw new CliError(`--external-data must be auto, always or never, got ${flags.externalData}`);
      }
      if (flags.attention !== 'fused' && flags.attention !== 'unfused') {
        throw new CliError(`--attention must be fused or unfused, got ${flags.attention}`);
      }
      if (flags.dryRun) {
        const report = describeModel(preset, floatType);
        process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatDryRun(report));
        return;
      }
      if (!flags.out) throw new CliError('--out DIR is required (or use --dry-run)');
      const inputs = [
        ...(flags.weights ?? []).map((w) => w.replace(/^\w+=/, '')),
        ...(flags.tokenizer ? [flags.tokenizer] : []),
      ];
      checkOutput(flags.out, 'model-dir', { force: flags.force === true, inputs, option: '--out' });
      const started = Date.now();
      const stopBuilding = removePartialOnSignal(`${resolve(flags.out)}.partial-${process.pid}`);
      const manifest = await buildModelDirectory({
        force: flags.force === true,
        preset,
        outDir: flags.out,
        floatType,
        seed,
        weights: flags.weights ?? [],
        ...(flags.tokenizer ? { tokenizer: flags.tokenizer } : {}),
        externalData: flags.externalData as 'auto' | 'always' | 'never',
        attention: flags.attention,
        log: (line) => console.log(line),
      }).finally(stopBuilding);
      console.log(
        `wrote ${flags.out} (${manifest.preset}, ${manifest.dtype}, ${manifest.resolution.height}×${manifest.resolution.width}) in ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s` +
          (manifest.untrained ? ' — UNTRAINED: some networks run on seeded weights' : ''),
      );
    });
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
    n.key,
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
      `critical path ${r.tflopsPerPlan >= 1 ? `${r.tflopsPerPlan.toFixed(2)} TFLOP` : `${(r.tflopsPerPlan * 1e3).toFixed(2)} GFLOP`} per plan`,
    '',
  ].join('\n');
}
