import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type SvnavConfig } from './schema';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * A config file is a ROS 2 parameter file: `<node name or /**>: ros__parameters: {…}`. A plain map without that
 * wrapper is accepted too. Parameters of all node sections are merged, so one file can hold planner and
 * controller settings under their own node names; a parameter that two sections set to different values is
 * an error naming both (svnav reads one configuration, so one of them would be silently lost).
 */
export function unwrapRosParameters(doc: unknown, source: string): Record<string, unknown> {
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new ConfigError(source, [`top level: expected a map, got ${describe(doc)}`]);
  const sections = Object.entries(doc).filter(([, v]) => isRecord(v) && 'ros__parameters' in v);
  if (sections.length === 0) return doc;
  const merged: Record<string, unknown> = {};
  const setBy = new Map<string, string>();
  const conflicts: string[] = [];
  for (const [name, section] of sections) {
    const params = (section as Record<string, unknown>).ros__parameters;
    if (!isRecord(params)) {
      conflicts.push(`${name}.ros__parameters: expected a map, got ${describe(params)}`);
      continue;
    }
    const flat = flatten(expandDotted(params));
    for (const [key, value] of flat) {
      const earlier = setBy.get(key);
      const before = valueAt(merged, key.split('.'));
      if (earlier !== undefined && JSON.stringify(before) !== JSON.stringify(value)) {
        conflicts.push(
          `${key}: set to ${describe(before)} in section ${earlier} and to ${describe(value)} in section ${name}`,
        );
      }
      setBy.set(key, name);
    }
    deepMerge(merged, expandDotted(params));
  }
  if (conflicts.length > 0) throw new ConfigError(source, conflicts);
  return merged;
}

/** Leaf parameters of a tree as dotted keys. */
function flatten(tree: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(tree).flatMap(([k, v]) =>
    isRecord(v) ? flatten(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

/** Validates a parsed parameter tree; every problem names the key, the value and what is allowed. */
export function parseConfig(raw: unknown, source = 'config'): SvnavConfig {
  const tree = unwrapRosParameters(raw, source);
  const result = configSchema.safeParse(tree);
  if (result.success) return result.data;
  throw new ConfigError(
    source,
    result.error.issues.map((issue) => describeIssue(issue, tree)),
  );
}

/** Longest piece of a YAML parser message quoted in an error (it may quote the file). */
const MAX_QUOTED = 300;

export function loadConfigFile(path: string): SvnavConfig {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new Error('is a directory, not a YAML file');
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  const text = decodeText(bytes, path);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid YAML: ${quote((err as Error).message)}`]);
  }
  return parseConfig(doc, path);
}

/** A binary file (NUL bytes, invalid UTF-8) is refused by name, not parsed into kilobytes of escapes. */
function decodeText(bytes: Buffer, path: string): string {
  const binary = (why: string) =>
    new ConfigError(path, [
      `is not a text file (${why}; ${bytes.length} bytes): expected a YAML parameter file`,
    ]);
  if (bytes.includes(0)) throw binary('it holds NUL bytes');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw binary('it is not valid UTF-8');
  }
}

function quote(message: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const flat = message.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
  return flat.length > MAX_QUOTED
    ? `${flat.slice(0, MAX_QUOTED)}… (${flat.length - MAX_QUOTED} more characters)`
    : flat;
}

export function defaultConfig(): SvnavConfig {
  return configSchema.parse({});
}

function describeIssue(issue: z.core.$ZodIssue, tree: unknown): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  const value = valueAt(tree, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(issue.path);
      return issue.keys
        .map(
          (k) =>
            `${key === '(top level)' ? '' : key + '.'}${k}: unknown key${allowed ? ` (allowed: ${allowed})` : ''}`,
        )
        .join('; ');
    }
    case 'invalid_type':
      return `${key}: expected ${issue.expected}, got ${describe(value)}`;
    case 'invalid_value':
      return `${key}: got ${describe(value)}, allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `${key}: got ${describe(value)}, must be ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}${issue.origin === 'array' || issue.origin === 'string' ? ' in length' : ''}`;
    case 'too_big':
      return `${key}: got ${describe(value)}, must be ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}${issue.origin === 'array' || issue.origin === 'string' ? ' in length' : ''}`;
    default:
      return `${key}: got ${describe(value)}: ${issue.message}`;
  }
}

function allowedKeysAt(path: readonly PropertyKey[]): string | undefined {
  let schema: unknown = configSchema;
  for (const part of path) {
    const shape = objectShape(schema);
    if (!shape || typeof part !== 'string') return undefined;
    schema = shape[part];
  }
  const shape = objectShape(schema);
  return shape ? Object.keys(shape).join(', ') : undefined;
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  // Unwrap .default() wrappers down to the object schema.
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
  for (let i = 0; i < 4 && s && !s.shape; i++) s = s.def?.innerType as typeof s;
  return s?.shape;
}

function valueAt(tree: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = tree;
  for (const part of path) {
    if (!isRecord(v) && !Array.isArray(v)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[part];
  }
  return v;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  // JSON would print NaN and ±Infinity (YAML .nan, .inf) as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return `${String(value)} (not a finite number)`;
  if (typeof value === 'string' && value.length > 80)
    return `${JSON.stringify(value.slice(0, 80))}… (string)`;
  if (Array.isArray(value)) return `${JSON.stringify(value)} (array)`;
  if (typeof value === 'object') return 'a map';
  return `${JSON.stringify(value)} (${typeof value})`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** ROS parameter files may spell nested parameters as `controller.max_vx_mps: 0.4`. */
function expandDotted(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    const parts = k.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) {
      if (!isRecord(node[p])) node[p] = {};
      node = node[p] as Record<string, unknown>;
    }
    const leaf = parts[parts.length - 1]!;
    node[leaf] = isRecord(v) ? expandDotted(v) : v;
  }
  return out;
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    if (isRecord(v) && isRecord(into[k])) deepMerge(into[k] as Record<string, unknown>, v);
    else into[k] = v;
  }
}
