import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { openBag, type BagReader, type BagTopic } from '../../bag/reader';
import { generateDemoBag } from '../../bag/demo-bag';
import { nsToSeconds } from '../../messages/time';
import { checkOutput } from '../../io/output';
import { exitForSignal } from '../exit';
import { withShutdownSignals } from '../signals';

export function registerBagCommand(program: Command): void {
  const bag = program.command('bag').description('inspect and generate rosbag2 MCAP files (no ROS needed)');
  bag
    .command('info')
    .description('list topics, types, counts, rates and duration of a rosbag2 .mcap file')
    .argument('<file>', '.mcap file')
    .action(async (file: string) => {
      const reader = await openBag(file);
      try {
        process.stdout.write(formatBagInfo(file, reader));
      } finally {
        await reader.close();
      }
    });
  bag
    .command('make-demo')
    .description('generate the deterministic Go2-like demo bag (camera, camera_info, odom, tf, cmd_vel)')
    .requiredOption('--out <file>', 'output .mcap file')
    .option('--duration <s>', 'length in seconds', parseNumber('duration', 1, 600), 40)
    .option('--seed <n>', 'texture/colour seed', parseNumber('seed', 0, 2 ** 32 - 1), 0)
    .option('--force', 'replace an existing bag that svnav wrote (never anything else)')
    .action(async (opts: { out: string; duration: number; seed: number; force?: boolean }) => {
      checkOutput(opts.out, 'mcap', { force: opts.force === true, option: '--out' });
      // SIGINT, SIGTERM or SIGHUP end generation early and still close the bag with its summary.
      process.exitCode = await withShutdownSignals(async (scope) => {
        await makeDemoBag(opts, scope.signal);
        const received = scope.received();
        return received ? exitForSignal(received) : 0;
      });
    });
}

async function makeDemoBag(
  opts: { out: string; duration: number; seed: number; force?: boolean },
  signal: AbortSignal,
): Promise<void> {
  const bar = new SingleBar(
    { format: 'demo bag [{bar}] {value}/{total} s', hideCursor: true },
    Presets.shades_classic,
  );
  if (process.stderr.isTTY) bar.start(opts.duration, 0);
  try {
    const result = await generateDemoBag(opts.out, {
      duration_s: opts.duration,
      seed: opts.seed,
      signal,
      replace: opts.force === true,
      onProgress: (done) => bar.update(Math.round(done * 10) / 10),
    });
    bar.stop();
    const mib = (result.bytes / 2 ** 20).toFixed(1);
    const state = result.aborted ? 'interrupted, closed cleanly' : 'done';
    console.log(
      `${result.path}: ${state}; ${result.frameCount} frames, ${result.messageCount} messages, ${mib} MiB in ${(result.elapsed_ms / 1000).toFixed(1)} s`,
    );
  } finally {
    bar.stop();
  }
}

export function formatBagInfo(file: string, reader: BagReader): string {
  const start = reader.startTimeNs;
  const end = reader.endTimeNs;
  const duration = start !== undefined && end !== undefined ? nsToSeconds(end - start) : 0;
  const rows = reader
    .topics()
    .map((t) => [t.name, t.type, String(t.count), rate(t), qosLabel(t.offeredQosProfiles)]);
  const header = ['topic', 'type', 'count', 'rate', 'qos'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [
    `file:      ${file}`,
    `profile:   ${reader.profile} (${reader.library})${reader.indexed ? '' : ', no usable summary: read by streaming'}`,
    `duration:  ${duration.toFixed(3)} s${start !== undefined ? ` (start ${nsToSeconds(start).toFixed(3)})` : ''}`,
    `messages:  ${reader.messageCount}`,
    ...(reader.damage ? [`damage:    ${reader.damage.message}`] : []),
    '',
    line(header),
    ...rows.map(line),
  ];
  return `${out.join('\n')}\n`;
}

function rate(t: BagTopic): string {
  if (t.count < 2 || t.firstNs === undefined || t.lastNs === undefined || t.lastNs === t.firstNs) return '-';
  return `${((t.count - 1) / nsToSeconds(t.lastNs - t.firstNs)).toFixed(2)} Hz`;
}

function qosLabel(yaml: string): string {
  const reliability = /reliability:\s*(\w+)/.exec(yaml)?.[1];
  const depth = /depth:\s*(\d+)/.exec(yaml)?.[1];
  return reliability ? `${reliability}${depth ? `/${depth}` : ''}` : '-';
}

function parseNumber(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got '${value}'`);
    return n;
  };
}
