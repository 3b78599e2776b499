import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Checks, without importing rclnodejs, that importing it is safe. Requiring rclnodejs without a sourced ROS 2 is
 * destructive (ENVIRONMENT.md): its addon fails to load, it tries to rebuild itself and its clean step deletes the
 * compiled addon. So the ROS environment, the rclnodejs install and its addon are checked first, and the adapter
 * is only `require`d once this passes.
 */

export interface RosEnvironment {
  readonly distro: string;
  readonly amentPrefixPath: readonly string[];
  /** Directory of the installed rclnodejs package. */
  readonly rclnodejsDir: string;
  /** The compiled or prebuilt addon that will be loaded. */
  readonly addonPath: string;
}

export class RosEnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `the ROS 2 environment is not ready for rclnodejs (nothing was loaded):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'RosEnvironmentError';
  }
}

/** What the check looks at; the system's by default, replaceable in tests. */
export interface EnvironmentProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: string;
  readonly arch: string;
  /** Directory of an installed npm package, or undefined. Must not execute the package. */
  packageDir(name: string): string | undefined;
  exists(path: string): boolean;
  /** VERSION_CODENAME of /etc/os-release (rclnodejs picks its prebuilt addon by it). */
  osCodename(): string | undefined;
}

export interface RosEnvironmentOptions {
  /** Interface packages the node uses; each must be found under AMENT_PREFIX_PATH. */
  readonly requiredPackages?: readonly string[];
}

export function systemProbe(): EnvironmentProbe {
  return {
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    packageDir: (name) => {
      try {
        return dirname(require.resolve(`${name}/package.json`));
      } catch {
        return undefined;
      }
    },
    exists: existsSync,
    osCodename: () => {
      try {
        return (
          /^VERSION_CODENAME=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]?.trim() || undefined
        );
      } catch {
        return undefined;
      }
    },
  };
}

/** Returns what was found, or throws a RosEnvironmentError listing every problem and how to fix it. */
export function checkRosEnvironment(
  options: RosEnvironmentOptions = {},
  probe: EnvironmentProbe = systemProbe(),
): RosEnvironment {
  const problems: string[] = [];
  const distro = probe.env.ROS_DISTRO?.trim() ?? '';
  const prefixes = (probe.env.AMENT_PREFIX_PATH ?? '').split(':').filter((p) => p.length > 0);
  const setup = `source /opt/ros/${distro || '<distro>'}/setup.bash`;
  if (!distro) problems.push(`ROS_DISTRO is not set: ${setup} (humble, jazzy or kilted) first`);
  if (prefixes.length === 0) {
    problems.push(`AMENT_PREFIX_PATH is empty: ${setup}, then your workspace's install/setup.bash`);
  } else if (!prefixes.some((p) => probe.exists(join(p, 'lib', 'librcl.so')))) {
    problems.push(`no lib/librcl.so under AMENT_PREFIX_PATH (${prefixes.join(':')}): ${setup}`);
  }
  for (const pkg of options.requiredPackages ?? []) {
    if (prefixes.length > 0 && !prefixes.some((p) => probe.exists(join(p, 'share', pkg, 'package.xml')))) {
      problems.push(
        `interface package ${pkg} is not on AMENT_PREFIX_PATH: ` +
          (pkg === 'sparse_video_nav'
            ? 'build this package with `colcon build` and source the workspace install/setup.bash'
            : `install ros-${distro || '<distro>'}-${pkg.replace(/_/g, '-')} or source the workspace that builds it`),
      );
    }
  }
  const rebuild = `run \`npm rebuild rclnodejs\` in the package directory with ROS 2 sourced (${setup})`;
  const rclnodejsDir = probe.packageDir('rclnodejs');
  let addonPath = '';
  if (!rclnodejsDir) {
    // npm drops an optional dependency whose install failed without a word: ROS 2 not sourced at `npm ci`, or
    // its source build failed (e.g. its clean step's `npx rimraf` refused; this package's .npmrc says yes).
    problems.push(
      'rclnodejs is not installed: npm drops it without a word when its install fails (ROS 2 not sourced at ' +
        '`npm ci`, or its source build failed): ' +
        `${setup}, then run \`npm install rclnodejs@2.2.0 --foreground-scripts\` to build it and see any error`,
    );
  } else {
    const built = join(rclnodejsDir, 'build', 'Release', 'rclnodejs.node');
    const codename = probe.osCodename();
    const prebuilt =
      distro && codename
        ? join(
            rclnodejsDir,
            'prebuilds',
            `${probe.platform}-${probe.arch}`,
            `${distro}-${codename}-${probe.arch}-node-rclnodejs.node`,
          )
        : undefined;
    if (probe.exists(built)) addonPath = built;
    else if (prebuilt && probe.exists(prebuilt)) addonPath = prebuilt;
    else
      problems.push(
        `the rclnodejs addon is not built (looked for ${prebuilt ? `${built} and ${prebuilt}` : built}): ${rebuild}`,
      );
  }
  if (problems.length > 0) throw new RosEnvironmentError(problems);
  return { distro, amentPrefixPath: prefixes, rclnodejsDir: rclnodejsDir!, addonPath };
}
