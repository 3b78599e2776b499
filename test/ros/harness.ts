import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The ROS integration suite's machinery: one colcon build of this package and one tiny model shared by every
 * case, `ros2 launch` / `ros2 bag` / `ros2 param` run as a user runs them (the workspace's setup.bash sourced
 * in a bash), and a probe process (probe.py, rclpy) that reports what a real subscriber receives.
 */

export const ROOT = join(__dirname, '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'rosbag2-jazzy');

/** Why the ROS suite cannot run here, or undefined when it can. */
export function rosUnavailable(): string | undefined {
  if (!process.env.ROS_DISTRO || !process.env.AMENT_PREFIX_PATH) {
    return 'ROS 2 is not sourced (source /opt/ros/jazzy/env.sh; `.ci/run` installs it from ../shared/ros2-jazzy)';
  }
  if (spawnSync('bash', ['-c', 'command -v ros2 colcon'], { encoding: 'utf8' }).status !== 0) {
    return 'ros2 or colcon is not on PATH';
  }
  if (!existsSync(join(ROOT, 'node_modules', 'rclnodejs', 'build', 'Release', 'rclnodejs.node'))) {
    return 'rclnodejs is not built (with ROS sourced: npm ci, or npm rebuild rclnodejs)';
  }
  return undefined;
}

export interface Workspace {
  readonly dir: string;
  readonly setup: string;
  readonly modelDir: string;
  /** Parameters every case adds on top of the package's own YAML files (params_file:=…). */
  readonly testParams: string;
  readonly buildSeconds: number;
}

let workspace: Workspace | undefined;

/** Builds dist/ if stale, this package with colcon (incremental) and a tiny model; once per run. */
export function prepareWorkspace(): Workspace {
  if (workspace) return workspace;
  const started = Date.now();
  // One workspace per checkout (colcon rebuilds only what changed); its src/ links to this checkout.
  const dir = join(tmpdir(), `svnav-ros-ws-${createHash('sha1').update(ROOT).digest('hex').slice(0, 10)}`);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const link = join(dir, 'src', 'sparse_video_nav');
  if (!existsSync(link)) run('ln', ['-sfn', ROOT, link]);
  if (distIsStale()) run('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  run('bash', ['-c', 'colcon build --packages-select sparse_video_nav --event-handlers console_direct-'], {
    cwd: dir,
  });
  const modelDir = join(dir, 'model');
  // --force: the workspace outlives a run, and a model left by an earlier run may predate the code's networks.
  run('node', [
    join(ROOT, 'bin', 'svnav.js'),
    'build-model',
    '--preset',
    'tiny',
    '--out',
    modelDir,
    '--force',
  ]);
  const testParams = join(dir, 'test-params.yaml');
  writeFileSync(testParams, testParameterFile(modelDir));
  workspace = {
    dir,
    setup: join(dir, 'install', 'setup.bash'),
    modelDir,
    testParams,
    buildSeconds: (Date.now() - started) / 1000,
  };
  return workspace;
}

/**
 * On top of go2.yaml: the CPU (a software Vulkan driver would make WebGPU start and crawl), one ONNX thread
 * (2-core CI), and arrival/stuck detection out of the way, because an untrained model's small random motions
 * would otherwise end the episode before the safety cases run.
 */
function testParameterFile(modelDir: string): string {
  return [
    '/**:',
    '  ros__parameters:',
    '    model:',
    `      dir: ${JSON.stringify(modelDir)}`,
    '      execution_providers: [cpu]',
    '      intra_op_threads: 1',
    '    planner:',
    '      stuck_timeout_s: 600.0',
    '    safety:',
    '      arrival_displacement_m: 0.000001',
    '      arrival_rotation_rad: 0.000001',
    '',
  ].join('\n');
}

function distIsStale(): boolean {
  const built = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  return newest(join(ROOT, 'src')) > builtAt;
}

function run(cmd: string, args: string[], options: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: options.cwd ?? ROOT, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`.slice(-6000));
  }
  return r.stdout;
}

/**
 * A command run with the workspace sourced, as a user's shell would; resolves to its output and status. Never
 * synchronous: a blocked event loop stops reading the probe, whose pipe then fills and delays its timestamps.
 */
export function rosCommand(
  ws: Workspace,
  command: string,
  cwd = ws.dir,
): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `source ${ws.setup} && ${command}`], { cwd });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, output });
    });
  });
}

/** A long-running process started with the workspace sourced, in its own process group. */
export class RosProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  exitedAtNs: bigint | undefined;

  constructor(ws: Workspace, command: string, cwd = ws.dir, env: Record<string, string> = {}) {
    this.child = spawn('bash', ['-c', `source ${ws.setup} && exec ${command}`], {
      cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    }
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exitedAtNs = process.hrtime.bigint();
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(signal: NodeJS.Signals): bigint {
    const at = process.hrtime.bigint();
    process.kill(this.pid, signal);
    return at;
  }

  /** Ends the process group (launch and anything it left behind) if still running. */
  async kill(): Promise<void> {
    if (this.exitedAtNs === undefined) {
      try {
        process.kill(-this.pid, 'SIGINT');
      } catch {
        return;
      }
      await Promise.race([this.exited, sleep(10_000)]);
    }
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // the group is gone
    }
  }

  output(): string {
    return this.lines.join('\n');
  }

  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => pattern.test(l));
      if (line) return line;
      if (Date.now() > deadline)
        throw new Error(`no line matching ${pattern} in ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(50);
    }
  }

  tail(n = 40): string {
    return this.lines.slice(-n).join('\n');
  }
}

/** Processes (pid, command line) whose parent is `ppid`, recursively. */
export function descendants(ppid: number): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== ppid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(entry), cmdline }, ...descendants(Number(entry)));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ProbeEvent {
  readonly ev: string;
  readonly topic?: string;
  /** CLOCK_MONOTONIC ns: the same clock as process.hrtime.bigint(). */
  readonly t: number;
  readonly [key: string]: unknown;
}

/** probe.py: every message on `topics` as an event, and commands to publish. */
export class Probe {
  readonly events: ProbeEvent[] = [];
  readonly #process: RosProcess;

  /** `latched`: every subscription transient-local, as a viewer that joins late subscribes. */
  constructor(ws: Workspace, topics: readonly string[], options: { latched?: boolean } = {}) {
    const flags = options.latched ? ' --latched' : '';
    this.#process = new RosProcess(
      ws,
      `python3 -u ${join(__dirname, 'probe.py')}${flags} ${topics.join(' ')}`,
    );
    createInterface({ input: this.#process.child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) this.events.push(JSON.parse(line) as ProbeEvent);
    });
  }

  send(command: Record<string, unknown>): void {
    this.#process.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  on(topic: string, sinceNs = 0n): ProbeEvent[] {
    return this.events.filter((e) => e.ev === 'msg' && e.topic === topic && BigInt(e.t) >= sinceNs);
  }

  async waitFor(predicate: (e: ProbeEvent) => boolean, timeoutMs: number, what: string): Promise<ProbeEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`probe: no ${what} within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    this.send({ cmd: 'quit' });
    await Promise.race([this.#process.exited, sleep(3000)]);
    await this.#process.kill();
  }

  processOutput(): string {
    return this.#process.output();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The p-quantile (0..1) of values, nearest rank. */
export function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Inter-arrival periods in ms of events. */
export function periodsMs(events: readonly ProbeEvent[]): number[] {
  return events.slice(1).map((e, i) => (e.t - events[i]!.t) / 1e6);
}

export function isZeroTwist(e: ProbeEvent): boolean {
  return e.vx === 0 && e.vy === 0 && e.wz === 0;
}

/** Figures the suite measured, printed at the end for the report. */
export const measured: Record<string, string> = {};

export function report(key: string, value: string): void {
  measured[key] = value;
  console.log(`      measured: ${key}: ${value}`);
}
