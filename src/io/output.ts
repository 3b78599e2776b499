/**
 * The one rule for everything svnav writes: outputs are written under a temporary name beside the target and
 * moved into place only when complete; nothing a user already has is replaced unless they pass `--force`, and
 * even then only something svnav itself made (an MCAP with our writer's header, a report with our version
 * field, a model directory whose manifest lists every file in it). An output that is one of the inputs is refused.
 *
 * Checks run before any work starts (so a bad --out costs nothing) and again at commit (the target may have
 * appeared meanwhile): a file is committed with link(2), which never replaces, unless replacing was allowed.
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { randomBytes } from 'node:crypto';

/** What kind of thing an output is; decides how an existing one is recognised as ours. */
export type OutputKind = 'mcap' | 'json-report' | 'model-dir';

export interface OutputPolicy {
  /** Replace an existing output (only one svnav made). */
  readonly force?: boolean;
  /** Files and directories this command reads: the output may not be any of them (nor hold one). */
  readonly inputs?: readonly string[];
  /** The option that named the output, for messages (e.g. '--out'). */
  readonly option?: string;
}

/** An output path that may not be written; names the path and says what to do. Exit status 2. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

const KIND_NAMES: Record<OutputKind, string> = {
  mcap: 'an MCAP file',
  'json-report': 'a JSON report',
  'model-dir': 'a model directory',
};

/** The MCAP header's library string of every bag we write starts with this (see bag/writer.ts). */
export const OUR_MCAP_LIBRARY_PREFIX = 'sparse_video_nav';

/**
 * Checks that `target` may be written as `kind` under `policy`; throws OutputError otherwise. Returns whether
 * an existing output will be replaced. Also checks that the parent directory exists and is writable, so an
 * output error shows before the work rather than after it.
 */
export function checkOutput(target: string, kind: OutputKind, policy: OutputPolicy = {}): boolean {
  const path = resolve(target);
  const what = `${policy.option ? `${policy.option} ` : ''}${target}`;
  for (const input of policy.inputs ?? []) {
    if (samePath(path, input)) {
      throw new OutputError(`${what} is also an input; write the output to another path`, path);
    }
    if (kind === 'model-dir' && isInside(input, path)) {
      throw new OutputError(`${what} contains the input ${input}; write the model elsewhere`, path);
    }
  }
  checkParent(path, what);
  if (!existsSync(path) && !isLink(path)) return false;
  if (kind === 'model-dir' && isEmptyDirectory(path)) return false;
  const problem = ownershipProblem(path, kind);
  if (problem !== undefined) {
    throw new OutputError(
      `${what} already exists and ${problem}; svnav replaces only ${KIND_NAMES[kind]} it wrote itself, ` +
        'and only with --force: choose another path',
      path,
    );
  }
  if (!policy.force) {
    throw new OutputError(
      `${what} already exists (${KIND_NAMES[kind]} written by svnav); pass --force to replace it`,
      path,
    );
  }
  return true;
}

/** A fresh temporary path beside `target` (same directory, hence same filesystem: rename is atomic). */
export function temporaryPathFor(target: string): string {
  const path = resolve(target);
  return join(dirname(path), `.${basename(path)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Moves a finished temporary file into place. Without `replace` it never overwrites (link + unlink, which
 * fails if the target exists); with it the target is atomically replaced (re-checked as ours first).
 */
export function commitFile(temporary: string, target: string, kind: OutputKind, replace: boolean): void {
  const path = resolve(target);
  if (replace && existsSync(path)) {
    const problem = ownershipProblem(path, kind);
    if (problem !== undefined) throw new OutputError(`${target} changed meanwhile and ${problem}`, path);
    renameSync(temporary, path);
    return;
  }
  try {
    linkSync(temporary, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Filesystems without hard links (vfat, some network mounts): check, then rename (a narrow race only).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      if (!existsSync(path)) {
        renameSync(temporary, path);
        return;
      }
    }
    if (code === 'EEXIST' || existsSync(path)) {
      throw new OutputError(
        `${target} appeared while it was being written; the new output is at ${temporary}`,
        path,
      );
    }
    throw err;
  }
  unlinkSync(temporary);
}

/**
 * Moves a finished temporary directory into place, replacing an existing model directory only when `replace`
 * is set and it is still recognisably ours; the old one is moved aside first and removed only after the new
 * one is in place.
 */
export function commitDirectory(temporary: string, target: string, kind: OutputKind, replace: boolean): void {
  const path = resolve(target);
  if (isEmptyDirectory(path)) rmdirSync(path);
  if (!existsSync(path)) {
    renameSync(temporary, path);
    return;
  }
  const problem = ownershipProblem(path, kind);
  if (!replace || problem !== undefined) {
    throw new OutputError(
      `${target} ${problem ?? 'exists'}; not replaced (the new output is at ${temporary})`,
      path,
    );
  }
  const aside = temporaryPathFor(`${path}.old`);
  renameSync(path, aside);
  renameSync(temporary, path);
  rmSync(aside, { recursive: true, force: true });
}

/** Removes a temporary output (a failed or refused run); never throws. */
export function discardTemporary(temporary: string): void {
  try {
    rmSync(temporary, { recursive: true, force: true });
  } catch {
    // Best effort: the name marks it as partial.
  }
}

/** True when both paths name the same file (after symlinks, or the same inode). */
export function samePath(a: string, b: string): boolean {
  const ra = resolve(a);
  const rb = resolve(b);
  if (ra === rb) return true;
  try {
    const sa = statSync(ra);
    const sb = statSync(rb);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return realOrSelf(ra) === realOrSelf(rb);
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(realOrSelf(resolve(parent)), realOrSelf(resolve(child)));
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isEmptyDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory() && readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function checkParent(path: string, what: string): void {
  const parent = dirname(path);
  let stat;
  try {
    stat = statSync(parent);
  } catch {
    throw new OutputError(`${what}: directory ${parent} does not exist (create it first)`, path);
  }
  if (!stat.isDirectory()) throw new OutputError(`${what}: ${parent} is not a directory`, path);
  try {
    accessSync(parent, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'is on a read-only filesystem' : 'is not writable';
    throw new OutputError(`${what}: directory ${parent} ${why}`, path);
  }
}

/** Why an existing path is not an svnav output of `kind` (undefined when it is one). */
export function ownershipProblem(path: string, kind: OutputKind): string | undefined {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return undefined;
  }
  if (stat.isSymbolicLink()) return 'is a symbolic link';
  if (kind === 'model-dir') {
    return stat.isDirectory() ? modelDirectoryProblem(path) : 'is not a directory';
  }
  if (!stat.isFile()) return stat.isDirectory() ? 'is a directory' : 'is not a regular file';
  return kind === 'mcap' ? mcapProblem(path) : reportProblem(path);
}

const MCAP_MAGIC = Buffer.from([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);

/** Our bags start with the MCAP magic and a Header record whose library names this package. */
function mcapProblem(path: string): string | undefined {
  const head = readHead(path, 512);
  if (head.length < 8 || !head.subarray(0, 8).equals(MCAP_MAGIC)) return 'is not an MCAP file';
  // Header record: opcode 0x01, u64 length, string profile, string library (u32 length + UTF-8 each).
  if (head.length < 17 || head[8] !== 0x01) return 'is an MCAP file svnav did not write';
  let at = 17;
  const profileLength = head.length >= at + 4 ? head.readUInt32LE(at) : Infinity;
  at += 4 + profileLength;
  const libraryLength = head.length >= at + 4 ? head.readUInt32LE(at) : Infinity;
  if (at + 4 + libraryLength > head.length) return 'is an MCAP file svnav did not write';
  const library = head.subarray(at + 4, at + 4 + libraryLength).toString('utf8');
  return library.startsWith(OUR_MCAP_LIBRARY_PREFIX) ? undefined : 'is an MCAP file svnav did not write';
}

/** Our JSON reports: a replay report (version, output, eval), an eval report (version, source, plans) or runs. */
function reportProblem(path: string): string | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const has = (...keys: string[]): boolean => keys.every((k) => k in value);
    const ours =
      typeof value === 'object' &&
      value !== null &&
      ((typeof value.version === 'number' && (has('output', 'eval') || has('source', 'plans'))) ||
        (Array.isArray(value.runs) && has('summary')));
    return ours ? undefined : 'is not a report svnav wrote';
  } catch {
    return 'is not a report svnav wrote';
  }
}

/** A model directory is ours when model.json has our format and lists every other file in the directory. */
function modelDirectoryProblem(dir: string): string | undefined {
  const entries = readdirSync(dir);
  let manifest: { format?: unknown; networks?: Record<string, { file?: unknown; data_file?: unknown }> };
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as typeof manifest;
  } catch {
    return 'is not a model directory (no readable model.json)';
  }
  if (typeof manifest.format !== 'string' || !manifest.format.startsWith('sparse_video_nav.model/')) {
    return 'has a model.json svnav did not write';
  }
  const known = new Set(['model.json', 'tokenizer.json']);
  for (const entry of Object.values(manifest.networks ?? {})) {
    if (typeof entry?.file === 'string') known.add(entry.file);
    if (typeof entry?.data_file === 'string') known.add(entry.data_file);
  }
  const foreign = entries.filter((name) => !known.has(name));
  if (foreign.length > 0) {
    const list = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ', …' : '');
    return `holds files its model.json does not list (${list})`;
  }
  return undefined;
}

function readHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const n = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
