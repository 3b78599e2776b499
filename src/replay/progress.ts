import { Presets, SingleBar } from 'cli-progress';

/** A progress bar on stderr, only when stderr is a terminal (logs and pipes stay clean). */
export interface ProgressBar {
  update(done: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

export function progressBar(
  label: string,
  total: number,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressBar {
  if (!stream.isTTY || !(total > 0)) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} ${unit} | {frames} frames, {plans} plans | {eta_formatted}`,
      hideCursor: true,
      stream,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { frames: 0, plans: 0 });
  let stopped = false;
  return {
    update: (done, payload) => bar.update(Math.min(total, Math.round(done * 10) / 10), payload),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
