import { readFileSync } from 'node:fs';
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
 * controller settings under their own node names.
 */
export function unwrapRosParameters(doc: unknown, source: string): Record<string, unknown> {
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new ConfigError(source, [`top level: expected a map, got ${describe(doc)}`]);
  const sections = Object.entries(doc).filter(([, v]) => isRecord(v) && 'ros__parameters' in v);
  if (sections.length === 0) return doc;
  const merged: Record<string, unknown> = {};
  for (const [, section] of sections) {
    const params = (section as Record<string, unknown>).ros__parameters;
    if (!isRecord(params)) continue;
    deepMerge(merged, expandDotted(params));
  }
  return merged;
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

export function loadConfigFile(path: string): SvnavConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid YAML: ${(err as Error).message}`]);
  }
  return parseConfig(doc, path);
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
