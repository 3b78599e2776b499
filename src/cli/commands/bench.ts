import type { Command } from 'commander';
import { type BenchReport, runBenchmark } from '../../planner/bench';
import type { ExecutionProvider } from '../../planner/engine/types';

interface BenchFlags {
  model: string;
  ep: string;
  history: string;
  runs: string;
  instruction: string;
  steps: string;
  json?: boolean;
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(
      'measure the plan cycle: per-stage p50/p95, plans per second, memory, latency against history length',
    )
    .requiredOption('--model <dir>', 'model directory (svnav build-model)')
    .option('--ep <list>', 'execution providers in preference order', 'cpu')
    .option('--history <list>', 'history lengths in chunks', '1,15,45')
    .option('--runs <n>', 'measured plans per history length', '10')
    .option('--instruction <text>', 'instruction', 'walk forward to find a wooden chair and stop next to it')
    .option('--steps <n>', 'UniPC steps per plan (the release: 4)', '4')
    .option('--json', 'print the report as JSON')
    .action(async (flags: BenchFlags) => {
      const providers = flags.ep.split(',').map((s) => s.trim());
      for (const p of providers) {
        if (!['webgpu', 'cuda', 'cpu'].includes(p))
          throw new Error(`--ep: unknown execution provider ${p} (webgpu, cuda, cpu)`);
      }
      const historyLengths = flags.history.split(',').map((s) => Number(s));
      if (historyLengths.some((h) => !Number.isInteger(h) || h < 1))
        throw new Error(`--history must be positive integers, got ${flags.history}`);
      const runs = Number(flags.runs);
      if (!Number.isInteger(runs) || runs < 1)
        throw new Error(`--runs must be a positive integer, got ${flags.runs}`);
      const steps = Number(flags.steps);
      if (!Number.isInteger(steps) || steps < 1)
        throw new Error(`--steps must be a positive integer, got ${flags.steps}`);
      const report = await runBenchmark({
        modelDir: flags.model,
        providers: providers as ExecutionProvider[],
        historyLengths,
        runs,
        instruction: flags.instruction,
        samplerSteps: steps,
        log: flags.json ? undefined : (line) => console.error(line),
      });
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatBench(report));
    });
}

export function formatBench(r: BenchReport): string {
  const ms = (v: number) => v.toFixed(1).padStart(8);
  const lines = [
    `machine: ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.memoryGiB} GiB), node ${r.machine.node}, ${r.machine.platform}`,
    `model: ${r.model.dir} (${r.model.preset}, ${r.model.dtype}, ${r.model.resolution}${r.model.untrained ? ', untrained' : ''})`,
    `providers: ${Object.entries(r.providers)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `load ${r.loadMs.toFixed(0)} ms, warm-up ${r.warmupMs.toFixed(0)} ms, text encode (once per instruction) ${r.textEncodeMs.toFixed(1)} ms`,
    `encode per chunk: p50 ${r.encodePerChunkMs.p50.toFixed(1)} ms, p95 ${r.encodePerChunkMs.p95.toFixed(1)} ms` +
      `; decode of the imagined video: p50 ${r.decodeMs.p50.toFixed(1)} ms`,
    '',
    'history  encode-p50  history-p50   dit-p50  action-p50   total-p50  total-p95  plans/s',
    ...r.byHistory.map(
      (h) =>
        `${String(h.history).padStart(7)}  ${ms(h.stages.encodeMs.p50)}    ${ms(h.stages.historyMs.p50)}  ${ms(h.stages.ditMs.p50)}  ${ms(h.stages.actionMs.p50)}    ${ms(h.totalMs.p50)}   ${ms(h.totalMs.p95)}  ${h.plansPerSecond.toFixed(2).padStart(7)}`,
    ),
    '',
    `latency at the longest history / shortest: ${r.historyLatencyRatio.toFixed(3)}; peak RSS ${(r.peakRssBytes / 1024 ** 2).toFixed(0)} MiB`,
    '',
  ];
  return lines.join('\n');
}
