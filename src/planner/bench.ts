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
  let peakRss = report.memory.rssBytes;
  try {
    const m = planner.manifest;
    const { height, width } = m.resolution;
    let stamp = 1n;
    const frame = (): ModelFrame => {
      stamp += 250_000_000n;
      const data = new Float32Array(3 * height * width);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001 + Number(stamp % 1000n)) * 0.5;
      return { stampNs: stamp, data };
    };
    const encode: number[] = [];
    const addChunk = async () => {
      const t = performance.now();
      for (let f = 0; f < m.chunk_frames; f++) await planner.addFrame(frame());
      encode.push(performance.now() - t);
    };

    const byHistory: BenchReport['byHistory'] = [];
    const decode: number[] = [];
    let textEncodeMs = NaN;
    for (const h of options.historyLengths) {
      await planner.resetEpisode();
      for (let c = 0; c < h + m.reference_chunks; c++) await addChunk();
      const samples: StageTimings[] = [];
      for (let r = 0; r < options.runs; r++) {
        const outcome = await planner.plan(options.instruction);
        if (!outcome.ok) throw new Error(`plan failed at history ${h}: ${outcome.reason}`);
        if (outcome.timings.textMs > 0) textEncodeMs = outcome.timings.textMs;
        samples.push(outcome.timings);
        if (h === options.historyLengths[0]) {
          const t = performance.now();
          await planner.decodeFuture(outcome);
          decode.push(performance.now() - t);
        }
      }
      const totals = samples.map((s) => s.encodeMs + s.historyMs + s.ditMs + s.actionMs);
      const total = percentiles(totals);
      byHistory.push({
        history: h,
        stages: {
          encodeMs: percentiles(samples.map((s) => s.encodeMs)),
          historyMs: percentiles(samples.map((s) => s.historyMs)),
          ditMs: percentiles(samples.map((s) => s.ditMs)),
          actionMs: percentiles(samples.map((s) => s.actionMs)),
        },
        totalMs: total,
        plansPerSecond: 1000 / total.mean,
      });
      log(`history ${h}: plan p50 ${total.p50.toFixed(1)} ms, p95 ${total.p95.toFixed(1)} ms`);
      peakRss = Math.max(peakRss, (await planner.memory()).rssBytes);
    }
    const shortest = byHistory[0]!.totalMs.p50;
    const longest = byHistory[byHistory.length - 1]!.totalMs.p50;
    return {
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
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
      encodePerChunkMs: percentiles(encode),
      decodeMs: percentiles(decode),
      byHistory,
      textEncodeMs,
      peakRssBytes: peakRss,
      historyLatencyRatio: longest / shortest,
    };
  } finally {
    await planner.close();
  }
}
