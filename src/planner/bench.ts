import { cpus, totalmem } from 'node:os';
import type { ModelFrame } from './vae-stream';
import type { ExecutionProvider } from './engine/types';
import { Planner } from './planner';
import type { StageTimings } from './plan';
import { distribution, type Distribution } from '../stats/distribution';

export interface BenchOptions {
  modelDir: string;
  providers: readonly ExecutionProvider[];
  historyLengths: readonly number[];
  runs: number;
  instruction: string;
  /** UniPC steps (the release's 4 by default). */
  samplerSteps?: number;
  log?: (line: string) => void;
}

/** Count, mean, p50, p95 and max of a stage's timings (ms), NumPy-style interpolated quantiles. */
export type Percentiles = Distribution;

export interface BenchReport {
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  model: { dir: string; preset: string; dtype: string; resolution: string; untrained: boolean };
  providers: Record<string, string>;
  loadMs: number;
  warmupMs: number;
  /** Streaming encode of one new history chunk (4 frames), as frames arrive between plans. */
  encodePerChunkMs: Percentiles;
  /** Decode of a plan's whole latent to the release's 37-frame video. */
  decodeMs: Percentiles;
  byHistory: {
    history: number;
    /** encodeMs = the reference clip (9 frames) + the newest history chunk. */
    stages: Record<Exclude<keyof StageTimings, 'totalMs' | 'textMs'>, Percentiles>;
    /** Plan latency excluding the (cached) text encoder. */
    totalMs: Percentiles;
    plansPerSecond: number;
  }[];
  textEncodeMs: number;
  peakRssBytes: number;
  /** p50 at the longest history over p50 at the shortest: the history compressor keeps this near 1. */
  historyLatencyRatio: number;
}

/** Timings of a stage; the benchmark always has samples, so an empty list is a programming error. */
export function percentiles(samples: readonly number[]): Percentiles {
  const d = distribution(samples);
  if (d === null) throw new RangeError('no timing samples');
  return d;
}

/** Warms up, then measures each stage of the plan cycle for several history lengths. */
export async function runBenchmark(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => undefined);
  const loadStart = performance.now();
  const { planner, report } = await Planner.load({
    modelDir: options.modelDir,
    providers: options.providers,
    seed: 0,
    ...(options.samplerSteps ? { samplerSteps: options.samplerSteps } : {}),
    log,
  });
  const loadMs = performance.now() - loadStart;
  try {
    const measured = await measurePlans(planner, options, log);
    const shortest = measured.byHistory[0]!.totalMs.p50;
    const longest = measured.byHistory[measured.byHistory.length - 1]!.totalMs.p50;
    return {
      machine: machineInfo(),
      model: {
        dir: options.modelDir,
        preset: planner.manifest.preset,
        dtype: planner.manifest.dtype,
        resolution: `${planner.manifest.resolution.height}x${planner.manifest.resolution.width}`,
        untrained: planner.provenance.untrained,
      },
      providers: Object.fromEntries(report.networks.map((n) => [n.network, n.provider])),
      loadMs,
      warmupMs: report.warmup.totalMs,
      encodePerChunkMs: percentiles(measured.encode),
      decodeMs: percentiles(measured.decode),
      byHistory: measured.byHistory,
      textEncodeMs: measured.textEncodeMs,
      peakRssBytes: Math.max(report.memory.rssBytes, measured.peakRss),
      historyLatencyRatio: longest / shortest,
    };
  } finally {
    await planner.close();
  }
}

interface Measured {
  readonly byHistory: BenchReport['byHistory'];
  readonly encode: readonly number[];
  readonly decode: readonly number[];
  readonly textEncodeMs: number;
  readonly peakRss: number;
}

/** For each history length: a fresh episode filled with synthetic chunks, then `runs` timed plans. */
async function measurePlans(
  planner: Planner,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<Measured> {
  const m = planner.manifest;
  const nextFrame = syntheticFrames(m.resolution);
  const encode: number[] = [];
  const decode: number[] = [];
  const byHistory: BenchReport['byHistory'] = [];
  let textEncodeMs = NaN;
  let peakRss = 0;
  for (const h of options.historyLengths) {
    await planner.resetEpisode();
    for (let c = 0; c < h + m.reference_chunks; c++) {
      const t = performance.now();
      for (let f = 0; f < m.chunk_frames; f++) await planner.addFrame(nextFrame());
      encode.push(performance.now() - t);
    }
    const samples: StageTimings[] = [];
    for (let r = 0; r < options.runs; r++) {
      const outcome = await planner.plan(options.instruction);
      if (!outcome.ok) throw new Error(`plan failed at history ${h}: ${outcome.reason}`);
      if (outcome.timings.textMs > 0) textEncodeMs = outcome.timings.textMs;
      samples.push(outcome.timings);
      // The decode does not depend on the history length: timed at the first one only.
      if (h === options.historyLengths[0]) {
        const t = performance.now();
        await planner.decodeFuture(outcome);
        decode.push(performance.now() - t);
      }
    }
    const row = historyRow(h, samples);
    byHistory.push(row);
    log(`history ${h}: plan p50 ${row.totalMs.p50.toFixed(1)} ms, p95 ${row.totalMs.p95.toFixed(1)} ms`);
    peakRss = Math.max(peakRss, (await planner.memory()).rssBytes);
  }
  return { byHistory, encode, decode, textEncodeMs, peakRss };
}

function historyRow(history: number, samples: readonly StageTimings[]): BenchReport['byHistory'][number] {
  const total = percentiles(samples.map((s) => s.encodeMs + s.historyMs + s.ditMs + s.actionMs));
  return {
    history,
    stages: {
      encodeMs: percentiles(samples.map((s) => s.encodeMs)),
      historyMs: percentiles(samples.map((s) => s.historyMs)),
      ditMs: percentiles(samples.map((s) => s.ditMs)),
      actionMs: percentiles(samples.map((s) => s.actionMs)),
    },
    totalMs: total,
    plansPerSecond: 1000 / total.mean,
  };
}

/** Synthetic camera frames, stamped 250 ms apart as a 4 Hz sampled camera would be. */
function syntheticFrames(resolution: { height: number; width: number }): () => ModelFrame {
  let stamp = 1n;
  return () => {
    stamp += 250_000_000n;
    const data = new Float32Array(3 * resolution.height * resolution.width);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001 + Number(stamp % 1000n)) * 0.5;
    return { stampNs: stamp, data };
  };
}

function machineInfo(): BenchReport['machine'] {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
