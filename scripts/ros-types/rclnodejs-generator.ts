import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { RosEnvironment } from '../../src/transport/ros/environment';

/**
 * Runs rclnodejs's own interface generators — rosidl_gen (.msg → generated/*.js, parsed by ROS's Python
 * rosidl tools) and rostsd_gen (generated/*.js → types/interfaces.d.ts) — as rclnodejs's postinstall does,
 * plus the interface packages of this checkout that are not installed (our msg/ folder, Unitree's sport API).
 *
 * They run in a copy of the installed package, never in place: rostsd_gen and rosidl_gen write into their own
 * package folder, and a failed addon load inside rclnodejs starts a rebuild that deletes the installed addon.
 */

/** Interface packages to add, as `{ pkg: { Type: msg text } }`: staged as `<pkg>/msg/<Type>.msg`. */
export type ExtraPackages = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** What rclnodejs's generators need from the installed package (the rest is runtime code we never load). */
const PACKAGE_PARTS = [
  'package.json',
  'lib',
  'rosidl_gen',
  'rosidl_parser',
  'rostsd_gen',
  'third_party',
  'types',
];

export interface GeneratedWithRclnodejs {
  readonly version: string;
  /** The copy's types/ folder: rclnodejs's declarations with the freshly generated interfaces.d.ts. */
  readonly typesDir: string;
  /** `pkg/msg/Type` keys of the generated MessagesMap. */
  readonly messageTypes: readonly string[];
}

/** Copies the installed rclnodejs (with its addon and its install-time generated/) into `workDir`. */
function copyPackage(ros: RosEnvironment, workDir: string): void {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  for (const part of PACKAGE_PARTS)
    cpSync(join(ros.rclnodejsDir, part), join(workDir, part), { recursive: true });
  const generated = join(ros.rclnodejsDir, 'generated');
  if (existsSync(generated)) cpSync(generated, join(workDir, 'generated'), { recursive: true });
  mkdirSync(join(workDir, 'build', 'Release'), { recursive: true });
  copyFileSync(ros.addonPath, join(workDir, 'build', 'Release', 'rclnodejs.node'));
}

function stageExtraPackages(extra: ExtraPackages, stageDir: string): void {
  rmSync(stageDir, { recursive: true, force: true });
  for (const [pkg, types] of Object.entries(extra)) {
    mkdirSync(join(stageDir, pkg, 'msg'), { recursive: true });
    for (const [type, text] of Object.entries(types))
      writeFileSync(join(stageDir, pkg, 'msg', `${type}.msg`), text);
  }
}

/**
 * The child's program: rclnodejs's generators through their exported functions. generateAll(true) only when
 * the install left no generated/ (it walks every package on AMENT_PREFIX_PATH: minutes).
 */
const GENERATE = `
const fs = require('node:fs');
const gen = require('./rosidl_gen/index.cjs');
const tsd = require('./rostsd_gen/index.cjs');
(async () => {
  if (!fs.existsSync('generated/generator.json')) await gen.generateAll(true);
  await gen.generateInPath(process.env.SVNAV_STAGE);
  await tsd.generateAll();
})().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
`;

export function generateWithRclnodejs(
  ros: RosEnvironment,
  extra: ExtraPackages,
  workDir: string,
): GeneratedWithRclnodejs {
  copyPackage(ros, workDir);
  const stageDir = `${workDir}-extra`;
  stageExtraPackages(extra, stageDir);
  // rclnodejs's own dependencies (walk, debug, bindings, ref-*) live beside it or under it, not beside the copy.
  const nodePath = [join(ros.rclnodejsDir, 'node_modules'), dirname(ros.rclnodejsDir), process.env.NODE_PATH]
    .filter(Boolean)
    .join(delimiter);
  const interfaces = join(workDir, 'types', 'interfaces.d.ts');
  rmSync(interfaces, { force: true });
  try {
    execFileSync(process.execPath, ['-e', GENERATE], {
      cwd: workDir,
      env: { ...process.env, SVNAV_STAGE: stageDir, NODE_PATH: nodePath },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `rclnodejs's generator failed in ${workDir}:\n${[e.stdout, e.stderr].join('\n').trim() || e.message}`,
    );
  } finally {
    rmSync(stageDir, { recursive: true, force: true });
  }
  const messageTypes = generatedMessageTypes(interfaces);
  // rostsd_gen stops at the first interface it cannot load, prints a line and still writes a (short) file.
  const missing = Object.entries(extra).flatMap(([pkg, types]) =>
    Object.keys(types)
      .map((type) => `${pkg}/msg/${type}`)
      .filter((name) => !messageTypes.includes(name)),
  );
  if (missing.length > 0) {
    throw new Error(`rclnodejs's generator left out ${missing.join(', ')} (see ${interfaces})`);
  }
  const version = (JSON.parse(readFileSync(join(workDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  return { version, typesDir: join(workDir, 'types'), messageTypes };
}

/** The `'pkg/msg/Type'` keys of an interfaces.d.ts MessagesMap (both generators write one key per line). */
export function generatedMessageTypes(interfacesPath: string): string[] {
  if (!existsSync(interfacesPath)) throw new Error(`rclnodejs's generator wrote no ${interfacesPath}`);
  const text = readFileSync(interfacesPath, 'utf8');
  const map = /type MessagesMap = \{([\s\S]*?)\n\s*\};/.exec(text)?.[1] ?? '';
  return [...map.matchAll(/^\s*'([\w]+\/msg\/[\w]+)':/gm)].map((m) => m[1]!);
}
