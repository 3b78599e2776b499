import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { UNITREE_API_DEFINITIONS } from '../../src/messages/unitree-api';
import {
  checkRosEnvironment,
  type RosEnvironment,
  RosEnvironmentError,
} from '../../src/transport/ros/environment';
import { allInterfaces } from './definitions';
import { describeDrift, interfaceDrift, parseInterfaces } from './drift';
import { generateInterfaces } from './generate';
import { type ExtraPackages, generateWithRclnodejs } from './rclnodejs-generator';

/**
 * `npm run typecheck:ros`, step 1: puts rclnodejs's TypeScript types, with the interfaces.d.ts for the ROS
 * messages, under node_modules/.svnav-ros-types/rclnodejs, where tsconfig.ros.json maps `rclnodejs`.
 *
 * With ROS 2 sourced and rclnodejs installed (and its addon built), the types are the installed package's and
 * interfaces.d.ts comes from rclnodejs's own generator, over every package on AMENT_PREFIX_PATH plus this
 * checkout's msg/ (rclnodejs-generator.ts). Otherwise (a fresh clone, CI's lint job) the types come from the
 * pinned tarball (`npm pack`; npm's cache makes later runs offline) and interfaces.d.ts from our imitation of
 * that generator (generate.ts). Which one was used is printed.
 */

const root = resolve(__dirname, '..', '..');
export const ROS_TYPES_DIR = join(root, 'node_modules', '.svnav-ros-types', 'rclnodejs');
/** Where rclnodejs's generator runs (a copy of the installed package; see rclnodejs-generator.ts). */
const GENERATOR_DIR = join(root, 'node_modules', '.svnav-ros-types', 'rclnodejs-generator');

function pinnedVersion(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  const version = pkg.optionalDependencies?.rclnodejs ?? pkg.dependencies?.rclnodejs;
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`package.json must pin rclnodejs to an exact version, found ${JSON.stringify(version)}`);
  }
  return version;
}

function installedVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(ROS_TYPES_DIR, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return undefined;
  }
}

function fetchTypes(version: string): void {
  const work = mkdtempSync(join(tmpdir(), 'svnav-rclnodejs-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const out = execFileSync(npm, ['pack', `rclnodejs@${version}`, '--pack-destination', work, '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tarball = join(work, out.trim().split('\n').pop()!);
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/package.json', 'package/types']);
    rmSync(ROS_TYPES_DIR, { recursive: true, force: true });
    mkdirSync(join(ROS_TYPES_DIR, '..'), { recursive: true });
    renameSync(join(work, 'package'), ROS_TYPES_DIR);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Interface packages rclnodejs's generator cannot find on AMENT_PREFIX_PATH: this checkout's, Unitree's. */
export function extraPackages(ros: RosEnvironment, msgDir: string): ExtraPackages {
  const ours = Object.fromEntries(
    readdirSync(msgDir)
      .filter((f) => f.endsWith('.msg'))
      .sort()
      .map((f) => [basename(f, '.msg'), readFileSync(join(msgDir, f), 'utf8')]),
  );
  // The checkout's msg/ always wins over an installed (maybe older) sparse_video_nav: it is what we check.
  const extra: Record<string, Record<string, string>> = { sparse_video_nav: ours };
  const unitreeInstalled = ros.amentPrefixPath.some((p) =>
    existsSync(join(p, 'share', 'unitree_api', 'package.xml')),
  );
  if (!unitreeInstalled) {
    extra.unitree_api = Object.fromEntries(
      Object.entries(UNITREE_API_DEFINITIONS).map(([name, text]) => [name.split('/')[1]!, `${text}\n`]),
    );
  }
  return extra;
}

function withRclnodejsGenerator(ros: RosEnvironment): void {
  const out = generateWithRclnodejs(ros, extraPackages(ros, join(root, 'msg')), GENERATOR_DIR);
  const theirs = readFileSync(join(out.typesDir, 'interfaces.d.ts'), 'utf8');
  const { messages, services } = allInterfaces(join(root, 'msg'));
  const drift = interfaceDrift(
    parseInterfaces(generateInterfaces(messages, services)),
    parseInterfaces(theirs),
  );
  if (drift.drifted.length > 0) {
    throw new Error(
      `scripts/ros-types' fallback generator has drifted from rclnodejs's own (fix generate.ts or definitions.ts): ` +
        describeDrift(drift),
    );
  }
  rmSync(ROS_TYPES_DIR, { recursive: true, force: true });
  mkdirSync(ROS_TYPES_DIR, { recursive: true });
  cpSync(join(GENERATOR_DIR, 'package.json'), join(ROS_TYPES_DIR, 'package.json'));
  cpSync(out.typesDir, join(ROS_TYPES_DIR, 'types'), { recursive: true });
  const pinned = pinnedVersion();
  const note = out.version === pinned ? '' : ` (package.json pins ${pinned})`;
  console.log(
    `ros-types: rclnodejs's own generator: rclnodejs@${out.version}${note} from ${ros.rclnodejsDir}, ROS ${ros.distro}, ` +
      `${out.messageTypes.length} message interfaces (with this checkout's msg/)`,
  );
  console.log(
    `ros-types: the fallback generator agrees with it on all ${drift.compared} interfaces both declare ` +
      `(${drift.onlyOurs.length} only in the fallback: packages not installed here)`,
  );
}

function withOurGenerator(why: string): void {
  const version = pinnedVersion();
  console.log(`ros-types: rclnodejs's own generator cannot run here (${why})`);
  if (installedVersion() !== version || !existsSync(join(ROS_TYPES_DIR, 'types', 'index.d.ts'))) {
    console.log(`ros-types: fetching the types of rclnodejs@${version} (npm pack)`);
    fetchTypes(version);
  }
  const { messages, services } = allInterfaces(join(root, 'msg'));
  writeFileSync(join(ROS_TYPES_DIR, 'types', 'interfaces.d.ts'), generateInterfaces(messages, services));
  console.log(
    `ros-types: fallback, scripts/ros-types' own generator: rclnodejs@${version} types with ` +
      `${messages.length} message and ${services.length} service interfaces`,
  );
}

function main(): void {
  let ros: RosEnvironment;
  try {
    ros = checkRosEnvironment();
  } catch (err) {
    if (!(err instanceof RosEnvironmentError)) throw err;
    const [first, ...rest] = err.problems;
    withOurGenerator(`${first!.split(': ')[0]}${rest.length ? `, and ${rest.length} more` : ''}`);
    return;
  }
  withRclnodejsGenerator(ros);
}

if (require.main === module) main();
