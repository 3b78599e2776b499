/**
 * Compares two interfaces.d.ts texts — ours (generate.ts) and rclnodejs's own (rostsd_gen) — interface by
 * interface, so that our fallback cannot drift from the generator it imitates unnoticed. Only the real
 * interfaces are compared, not rostsd_gen's `descriptor` namespaces (ours leaves them out) and not layout.
 */

/** `pkg/folder/Name` (Name may end in Constructor) → its member lines, trimmed, `;`/`,` dropped. */
export type InterfaceMembers = Map<string, string[]>;

export interface Drift {
  readonly name: string;
  readonly ours: readonly string[];
  readonly theirs: readonly string[];
}

export interface DriftReport {
  /** Interfaces both texts declare, compared member by member. */
  readonly compared: number;
  readonly drifted: readonly Drift[];
  /** Interfaces only in ours: ours would accept a type rclnodejs does not know. */
  readonly onlyOurs: readonly string[];
}

/** Normalises a member line: `new(other?: X): X;` and `new (other?: X): X;` are the same member. */
function member(line: string): string {
  return line
    .trim()
    .replace(/[;,]$/, '')
    .replace(/^new ?\(/, 'new (');
}

export function parseInterfaces(text: string): InterfaceMembers {
  const out: InterfaceMembers = new Map();
  const namespaces: string[] = [];
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const ns = /^namespace (\w+) \{$/.exec(line);
    const iface = /^export interface (\w+)(?: extends [\w.]+)? \{$/.exec(line);
    if (ns) namespaces.push(ns[1]!);
    else if (iface) {
      current = [];
      if (!namespaces.includes('descriptor')) out.set([...namespaces, iface[1]!].join('/'), current);
    } else if (line === '}') {
      if (current) current = undefined;
      else namespaces.pop();
    } else if (current && line) current.push(member(line));
  }
  return out;
}

export function interfaceDrift(ours: InterfaceMembers, theirs: InterfaceMembers): DriftReport {
  let compared = 0;
  const drifted: Drift[] = [];
  const onlyOurs: string[] = [];
  for (const [name, members] of ours) {
    const other = theirs.get(name);
    if (!other) {
      onlyOurs.push(name);
      continue;
    }
    compared++;
    if (members.length !== other.length || members.some((m, i) => m !== other[i])) {
      drifted.push({ name, ours: members, theirs: other });
    }
  }
  return { compared, drifted, onlyOurs };
}

/** A readable account of the first few drifted interfaces, for an error message. */
export function describeDrift(report: DriftReport, limit = 10): string {
  const lines = report.drifted
    .slice(0, limit)
    .map((d) => `  ${d.name}\n    ours:      ${d.ours.join('; ')}\n    rclnodejs: ${d.theirs.join('; ')}`);
  const more = report.drifted.length > limit ? `\n  … and ${report.drifted.length - limit} more` : '';
  return `${report.drifted.length} of ${report.compared} interfaces differ:\n${lines.join('\n')}${more}`;
}
