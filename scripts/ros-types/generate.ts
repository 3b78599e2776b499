import type { parse } from '@foxglove/rosmsg';

export type MessageDefinition = ReturnType<typeof parse>[number];
export type MessageDefinitionField = MessageDefinition['definitions'][number];

/**
 * Writes the `types/interfaces.d.ts` that rclnodejs's `types/base.d.ts` references but that rclnodejs only
 * generates at install time from a sourced ROS 2 (its `rostsd_gen`). Same layout as that generator:
 *
 *   declare module 'rclnodejs' {
 *     namespace <pkg> { namespace msg { export interface <Type> {…}  export interface <Type>Constructor {…} } }
 *     type MessagesMap = { 'pkg/msg/Type': pkg.msg.Type, … };  MessageTypeClassName, MessageType<T>, …
 *     type ServicesMap = { 'pkg/srv/Name': pkg.srv.NameConstructor }; ActionsMap; TypeClassName; InterfaceType<T>
 *   }
 *
 * Field types: integers and floats → number (number arrays also accept the matching typed array), int64/uint64
 * → bigint, bool → boolean, string → string, nested → pkg.msg.Type. The `descriptor` namespaces rostsd_gen
 * also writes are left out: nothing in rclnodejs's types refers to them.
 */

/** A message type with its ROS 2 name, e.g. `sensor_msgs/msg/Image` or `action_msgs/srv/CancelGoal_Request`. */
export interface InterfaceMessage {
  readonly fullName: string;
  readonly definition: MessageDefinition;
}

/** A service: its two message halves must be among the messages, named `<Name>_Request` / `<Name>_Response`. */
export interface InterfaceService {
  readonly fullName: string;
}

const NUMBER_TYPES = new Set([
  'byte',
  'char',
  'octet',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
]);
const TYPED_ARRAYS: Record<string, string> = {
  byte: 'Uint8Array',
  octet: 'Uint8Array',
  uint8: 'Uint8Array',
  char: 'Int8Array',
  int8: 'Int8Array',
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  int32: 'Int32Array',
  uint32: 'Uint32Array',
  float32: 'Float32Array',
  float64: 'Float64Array',
};

export function primitiveToTs(type: string): string | undefined {
  if (NUMBER_TYPES.has(type)) return 'number';
  if (type === 'int64' || type === 'uint64') return 'bigint';
  if (type === 'bool' || type === 'boolean') return 'boolean';
  if (type === 'string' || type === 'wstring') return 'string';
  // @foxglove/rosmsg spells builtin_interfaces/Time and Duration as the ROS 1 primitives.
  if (type === 'time') return 'builtin_interfaces.msg.Time';
  if (type === 'duration') return 'builtin_interfaces.msg.Duration';
  return undefined;
}

/** `pkg/Type` or `pkg/msg/Type` → `pkg.msg.Type`. */
export function complexToTs(type: string): string {
  const parts = type.split('/');
  if (parts.length === 2) return `${parts[0]}.msg.${parts[1]}`;
  if (parts.length === 3) return parts.join('.');
  throw new Error(`cannot name message type "${type}" (expected pkg/Type or pkg/msg/Type)`);
}

export function fieldToTs(field: MessageDefinitionField): string {
  const base = field.isComplex ? complexToTs(field.type) : primitiveToTs(field.type);
  if (base === undefined) throw new Error(`field ${field.name}: unknown primitive type "${field.type}"`);
  if (!field.isArray) return base;
  const typed = base === 'number' ? TYPED_ARRAYS[field.type] : undefined;
  return typed ? `${base}[] | ${typed}` : `${base}[]`;
}

function splitName(fullName: string): { pkg: string; folder: string; name: string } {
  const [pkg, folder, name, ...rest] = fullName.split('/');
  if (!pkg || !folder || !name || rest.length > 0) throw new Error(`"${fullName}" is not pkg/(msg|srv)/Name`);
  return { pkg, folder, name };
}

function constantType(field: MessageDefinitionField): string {
  return primitiveToTs(field.type) ?? 'number';
}

export function generateInterfaces(
  messages: readonly InterfaceMessage[],
  services: readonly InterfaceService[] = [],
): string {
  const byPackage = new Map<string, Map<string, string[]>>();
  const add = (pkg: string, folder: string, lines: string[]) => {
    const folders = byPackage.get(pkg) ?? new Map<string, string[]>();
    byPackage.set(pkg, folders);
    folders.set(folder, [...(folders.get(folder) ?? []), ...lines]);
  };
  const seen = new Set<string>();
  for (const { fullName, definition } of messages) {
    if (seen.has(fullName)) throw new Error(`message ${fullName} is defined twice`);
    seen.add(fullName);
    const { pkg, folder, name } = splitName(fullName);
    const fields = definition.definitions.filter((f) => !f.isConstant);
    const constants = definition.definitions.filter((f) => f.isConstant);
    add(pkg, folder, [
      `export interface ${name} {`,
      ...fields.map((f) => `  ${f.name}: ${fieldToTs(f)};`),
      '}',
      `export interface ${name}Constructor {`,
      ...constants.map((c) => `  readonly ${c.name}: ${constantType(c)};`),
      `  new (other?: ${name}): ${name};`,
      '}',
    ]);
  }
  for (const { fullName } of services) {
    const { pkg, folder, name } = splitName(fullName);
    for (const half of ['Request', 'Response']) {
      if (!seen.has(`${pkg}/${folder}/${name}_${half}`))
        throw new Error(`service ${fullName} has no ${name}_${half} message`);
    }
    add(pkg, folder, [
      `export interface ${name}Constructor extends ROSService {`,
      `  readonly Request: ${name}_RequestConstructor;`,
      `  readonly Response: ${name}_ResponseConstructor;`,
      '}',
    ]);
  }

  const out: string[] = [
    '/* eslint-disable */',
    '// Generated by scripts/ros-types (sparse_video_nav) for type-checking without ROS 2; do not edit.',
    "declare module 'rclnodejs' {",
  ];
  for (const [pkg, folders] of [...byPackage].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`  namespace ${pkg} {`);
    for (const [folder, lines] of folders) {
      out.push(`    namespace ${folder} {`, ...lines.map((l) => `      ${l}`), '    }');
    }
    out.push('  }');
  }
  const typeOf = (fullName: string) => fullName.replace(/\//g, '.');
  const mapLines = (entries: [string, string][]) => entries.map(([k, v]) => `    '${k}': ${v};`);
  out.push(
    '  type MessagesMap = {',
    "    'string': string;",
    ...mapLines(messages.map((m) => [m.fullName, typeOf(m.fullName)])),
    '  };',
    '  type MessageTypeClassName = keyof MessagesMap;',
    '  type Message = MessagesMap[MessageTypeClassName];',
    '  type MessageType<T> = T extends MessageTypeClassName ? MessagesMap[T] : T extends new (...args: any[]) => infer R ? R : object;',
    '  type MessageTypeClassConstructorMap = {',
    "    'string': never;",
    ...mapLines(messages.map((m) => [m.fullName, `${typeOf(m.fullName)}Constructor`])),
    '  };',
    '  type MessageConstructorType<T> = T extends MessageTypeClassName ? MessageTypeClassConstructorMap[T] : object;',
    '  type ServicesMap = {',
    ...mapLines(services.map((s) => [s.fullName, `${typeOf(s.fullName)}Constructor`])),
    '  };',
    '  type ServiceTypeClassName = keyof ServicesMap;',
    '  type Service = ServicesMap[ServiceTypeClassName];',
    '  type ServiceType<T> = T extends ServiceTypeClassName ? ServicesMap[T] : T extends { Request: any; Response: any } ? T : object;',
    '  type ActionsMap = {};',
    '  type ActionTypeClassName = keyof ActionsMap;',
    '  type Action = ActionsMap[ActionTypeClassName];',
    '  type ActionType<T> = T extends ActionTypeClassName ? ActionsMap[T] : T extends { Goal: any; Feedback: any; Result: any } ? T : object;',
    '  type TypeClassName = MessageTypeClassName | ServiceTypeClassName | ActionTypeClassName;',
    '  type InterfaceType<T> = T extends TypeClassName ? (MessageTypeClassConstructorMap & ServicesMap & ActionsMap)[T] : object;',
    '}',
    '',
  );
  return out.join('\n');
}
