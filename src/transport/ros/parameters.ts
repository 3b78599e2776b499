import { parseConfig } from '../../config/load';
import { configSchema, type SvnavConfig } from '../../config/schema';

/**
 * The config tree as ROS 2 parameters and back. Nested keys become dotted names (`controller.max_vx_mps`), as a
 * parameter file spells them; integers (the schema's `.int()` keys) are declared as INTEGER parameters, which
 * rclnodejs holds as BigInt; every other number is a DOUBLE. Integer arrays are never produced (rclnodejs 2.2
 * rejects them in parameter files); number arrays are DOUBLE arrays.
 */

export type ParameterKind =
  'bool' | 'integer' | 'double' | 'string' | 'bool_array' | 'double_array' | 'string_array';

export interface ConfigParameter {
  readonly name: string;
  readonly kind: ParameterKind;
  /** In rclnodejs form: bigint for integers. */
  readonly value: boolean | bigint | number | string | boolean[] | number[] | string[];
}

/** Parameters every rclnodejs node has that are not part of our config. */
const ROS_OWN_PARAMETERS = [/^use_sim_time$/, /^start_type_description_service$/, /^qos_overrides\./];

export function configToParameters(config: SvnavConfig): ConfigParameter[] {
  const integers = integerKeys();
  const out: ConfigParameter[] = [];
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, name);
      } else {
        const param = toParameter(name, value, integers.has(name));
        if (param) out.push(param);
      }
    }
  };
  walk(config as unknown as Record<string, unknown>, '');
  return out;
}

/**
 * Parameters read back from a node (declared ones with their overrides applied, plus overrides that match no
 * declared name, so a misspelt key in a parameter file is reported rather than ignored) → validated config.
 */
export function parametersToConfig(
  parameters: ReadonlyArray<{ readonly name: string; readonly value: unknown }>,
  source: string,
): SvnavConfig {
  const tree: Record<string, unknown> = {};
  for (const { name, value } of parameters) {
    if (isRosOwnParameter(name)) continue;
    const parts = name.split('.');
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = fromRosValue(value);
  }
  return parseConfig(tree, source);
}

/** use_sim_time and the like: parameters of every ROS node, never part of our config. */
export function isRosOwnParameter(name: string): boolean {
  return ROS_OWN_PARAMETERS.some((re) => re.test(name));
}

function toParameter(name: string, value: unknown, integer: boolean): ConfigParameter | undefined {
  switch (typeof value) {
    case 'boolean':
      return { name, kind: 'bool', value };
    case 'string':
      return { name, kind: 'string', value };
    case 'number':
      return integer ? { name, kind: 'integer', value: BigInt(value) } : { name, kind: 'double', value };
  }
  if (Array.isArray(value) && value.length > 0) {
    if (value.every((v) => typeof v === 'string')) return { name, kind: 'string_array', value: [...value] };
    if (value.every((v) => typeof v === 'boolean')) return { name, kind: 'bool_array', value: [...value] };
    if (value.every((v) => typeof v === 'number')) return { name, kind: 'double_array', value: [...value] };
  }
  // An empty array has no parameter type; its schema default applies.
  return undefined;
}

function fromRosValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromRosValue);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => fromRosValue(v));
  }
  return value;
}

/**
 * The parameters each node declares: its own section plus the few keys of other sections it reads (topics it
 * shares, thresholds it mirrors). A shared parameter file (go2.yaml gives every section to every node) still
 * works: its other keys are validated with the whole config but not declared, so `ros2 param list` shows what
 * the node uses. An entry ending in "." is a whole section.
 */
export const NODE_PARAMETER_SCOPES: Readonly<Record<string, readonly string[]>> = {
  svnav_controller: ['controller.', 'safety.', 'planner.plan_topic', 'planner.heartbeat_topic'],
  svnav_planner: [
    'camera.',
    'model.',
    'planner.',
    'controller.odom_topic',
    'controller.status_topic',
    'controller.odom_timeout_s',
    'safety.plan_timeout_s',
    'safety.arrival_displacement_m',
    'safety.arrival_rotation_rad',
  ],
  svnav_camera_relay: ['camera.'],
  svnav_viz: ['camera.', 'planner.plan_topic', 'planner.base_frame_id', 'controller.odom_topic'],
};

/** Whether `name` belongs to a scope (every name when the scope is undefined). */
export function inParameterScope(name: string, scope: readonly string[] | undefined): boolean {
  if (!scope) return true;
  return scope.some((entry) => (entry.endsWith('.') ? name.startsWith(entry) : name === entry));
}

/**
 * A run-time change (`ros2 param set`) applied to the running config and validated with the same schema as a
 * parameter file; returns the new config, or the reason it is refused (out of range, unknown key, not this node's).
 */
export function applyParameterChanges(
  config: SvnavConfig,
  changes: ReadonlyArray<{ readonly name: string; readonly value: unknown }>,
  scope: readonly string[] | undefined,
): { config: SvnavConfig } | { error: string } {
  for (const { name } of changes) {
    if (!inParameterScope(name, scope)) return { error: `${name} is not a parameter of this node` };
  }
  const current = configToParameters(config).map(({ name, value }) => ({ name, value }));
  try {
    return { config: parametersToConfig([...current, ...changes], 'ros2 param set') };
  } catch (err) {
    return { error: err instanceof Error ? err.message.replace(/\s*\n\s*/g, ' ') : String(err) };
  }
}

/** Dotted names of the schema's integer keys. */
export function integerKeys(): Set<string> {
  const out = new Set<string>();
  const visit = (schema: unknown, prefix: string) => {
    const s = unwrap(schema);
    if (s.shape) {
      for (const [key, child] of Object.entries(s.shape)) visit(child, prefix ? `${prefix}.${key}` : key);
    } else if (s.isInt === true) {
      out.add(prefix);
    }
  };
  visit(configSchema, '');
  return out;
}

interface SchemaNode {
  shape?: Record<string, unknown>;
  isInt?: boolean;
  def?: { innerType?: unknown };
}

function unwrap(schema: unknown): SchemaNode {
  let s = schema as SchemaNode;
  for (let i = 0; i < 4 && s.def?.innerType; i++) s = s.def.innerType as SchemaNode;
  return s;
}
