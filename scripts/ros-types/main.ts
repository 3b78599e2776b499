import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { allInterfaces } from './definitions';
import { generateInterfaces } from './generate';

/**
 * `npm run typecheck:ros`, step 1: provides rclnodejs's TypeScript types without installing rclnodejs (its
 * install needs a sourced ROS 2). Fetches the pinned tarball with `npm pack` (npm's cache makes later runs
 * offline), keeps its types/ under node_modules/.svnav-ros-types/rclnodejs, and writes the interfaces.d.ts that
 * rclnodejs would generate at install. tsconfig.ros.json maps `rclnodejs` there.
 */

const root = resolve(__dirname, '..', '..');
export const ROS_TYPES_DIR = join(root, 'node_modules', '.svnav-ros-types', 'rclnodejs');

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

function main(): void {
  const version = pinnedVersion();
  if (installedVersion() !== version || !existsSync(join(ROS_TYPES_DIR, 'types', 'index.d.ts'))) {
    console.log(`ros-types: fetching the types of rclnodejs@${version} (npm pack)`);
    fetchTypes(version);
  }
  const { messages, services } = allInterfaces(join(root, 'msg'));
  writeFileSync(join(ROS_TYPES_DIR, 'types', 'interfaces.d.ts'), generateInterfaces(messages, services));
  console.log(
    `ros-types: rclnodejs@${version} types with ${messages.length} message and ${services.length} service interfaces`,
  );
}

if (require.main === module) main();
