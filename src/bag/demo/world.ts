/**
 * The demo's floor plan: a grid of wall cells with corridors carved along the robot's path (square corners),
 * a room at the end with a wooden table as the target, and coloured doors along the corridor walls.
 */
import { DEMO_LEG_BOUNDARIES_S, type PlanarState } from './motion';

export const CellKind = { Free: 0, Wall: 1, Door: 2, Target: 3 } as const;
export type CellKind = (typeof CellKind)[keyof typeof CellKind];

export interface GridWorld {
  cell_m: number;
  originX_m: number;
  originY_m: number;
  cols: number;
  rows: number;
  /** CellKind per cell, row-major (row = y index). */
  kind: Uint8Array;
  /** Wall: corridor leg 0..2 or 3 for the room; door: door number. */
  tag: Uint8Array;
  /** Centre of the target table and its half size. */
  target: { x_m: number; y_m: number; half_m: number };
}

export interface WorldOptions {
  cell_m?: number;
  corridorHalfWidth_m?: number;
  roomHalfSize_m?: number;
  /** Target centre ahead of the final stop pose. */
  targetAhead_m?: number;
  doorPeriod_m?: number;
  doorWidth_m?: number;
}

export function buildWorld(path: readonly PlanarState[], options: WorldOptions = {}): GridWorld {
  const cell = options.cell_m ?? 0.2;
  const half = options.corridorHalfWidth_m ?? 1.1;
  const roomHalf = options.roomHalfSize_m ?? 2.4;
  const ahead = options.targetAhead_m ?? 1.5;
  const doorPeriod = options.doorPeriod_m ?? 3.2;
  const doorWidth = options.doorWidth_m ?? 1.0;

  const samples = arcSamples(path, 0.05);
  const stop = path[path.length - 1]!;
  const roomX = stop.x_m + Math.cos(stop.yaw_rad) * 0.8;
  const roomY = stop.y_m + Math.sin(stop.yaw_rad) * 0.8;
  const target = {
    x_m: stop.x_m + Math.cos(stop.yaw_rad) * ahead,
    y_m: stop.y_m + Math.sin(stop.yaw_rad) * ahead,
    half_m: 0.3,
  };

  const xs = samples.map((s) => s.x);
  const ys = samples.map((s) => s.y);
  const margin = Math.max(half, roomHalf) + 1;
  const originX = Math.min(...xs, roomX) - margin;
  const originY = Math.min(...ys, roomY) - margin;
  const cols = Math.ceil((Math.max(...xs, roomX) + margin - originX) / cell);
  const rows = Math.ceil((Math.max(...ys, roomY) + margin - originY) / cell);
  const kind = new Uint8Array(cols * rows).fill(CellKind.Wall);
  const tag = new Uint8Array(cols * rows);
  const centre = (i: number, j: number): [number, number] => [
    originX + (i + 0.5) * cell,
    originY + (j + 0.5) * cell,
  ];
  const fill = (x0: number, y0: number, x1: number, y1: number, k: CellKind): void => {
    for (
      let j = Math.max(0, Math.floor((y0 - originY) / cell));
      j < Math.min(rows, Math.ceil((y1 - originY) / cell));
      j++
    ) {
      for (
        let i = Math.max(0, Math.floor((x0 - originX) / cell));
        i < Math.min(cols, Math.ceil((x1 - originX) / cell));
        i++
      ) {
        const [cx, cy] = centre(i, j);
        if (cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1) kind[j * cols + i] = k;
      }
    }
  };
  for (const s of samples) fill(s.x - half, s.y - half, s.x + half, s.y + half, CellKind.Free);
  fill(roomX - roomHalf, roomY - roomHalf, roomX + roomHalf, roomY + roomHalf, CellKind.Free);
  const t = target;
  fill(t.x_m - t.half_m, t.y_m - t.half_m, t.x_m + t.half_m, t.y_m + t.half_m, CellKind.Target);

  // Tag the walls that face free space: by nearest path sample (leg, arc length, side) or the room.
  for (let j = 1; j < rows - 1; j++) {
    for (let i = 1; i < cols - 1; i++) {
      const idx = j * cols + i;
      if (kind[idx] !== CellKind.Wall) continue;
      const facesFree =
        kind[idx - 1] === CellKind.Free ||
        kind[idx + 1] === CellKind.Free ||
        kind[idx - cols] === CellKind.Free ||
        kind[idx + cols] === CellKind.Free;
      if (!facesFree) continue;
      const [cx, cy] = centre(i, j);
      if (Math.max(Math.abs(cx - roomX), Math.abs(cy - roomY)) <= roomHalf + cell) {
        tag[idx] = 3;
        continue;
      }
      const near = nearestSample(samples, cx, cy);
      tag[idx] = DEMO_LEG_BOUNDARIES_S.filter((b) => near.t > b).length;
      const k = Math.floor((near.s - 1.5) / doorPeriod);
      const u = near.s - 1.5 - k * doorPeriod;
      const left = -Math.sin(near.yaw) * (cx - near.x) + Math.cos(near.yaw) * (cy - near.y) > 0;
      if (k >= 0 && u < doorWidth && left === (k % 2 === 0)) {
        kind[idx] = CellKind.Door;
        tag[idx] = k % 256;
      }
    }
  }
  return { cell_m: cell, originX_m: originX, originY_m: originY, cols, rows, kind, tag, target };
}

export function cellAt(world: GridWorld, x_m: number, y_m: number): CellKind {
  const i = Math.floor((x_m - world.originX_m) / world.cell_m);
  const j = Math.floor((y_m - world.originY_m) / world.cell_m);
  if (i < 0 || j < 0 || i >= world.cols || j >= world.rows) return CellKind.Wall;
  return world.kind[j * world.cols + i] as CellKind;
}

interface ArcSample {
  x: number;
  y: number;
  yaw: number;
  s: number;
  t: number;
}

function arcSamples(path: readonly PlanarState[], spacing_m: number): ArcSample[] {
  const out: ArcSample[] = [];
  let s = 0;
  let lastS = -Infinity;
  for (let i = 0; i < path.length; i++) {
    const p = path[i]!;
    if (i > 0) s += Math.hypot(p.x_m - path[i - 1]!.x_m, p.y_m - path[i - 1]!.y_m);
    if (s - lastS >= spacing_m || i === path.length - 1) {
      out.push({ x: p.x_m, y: p.y_m, yaw: p.yaw_rad, s, t: p.t_s });
      lastS = s;
    }
  }
  return out;
}

function nearestSample(samples: readonly ArcSample[], x: number, y: number): ArcSample {
  let best = samples[0]!;
  let bestD = Infinity;
  for (const s of samples) {
    const d = (s.x - x) ** 2 + (s.y - y) ** 2;
    if (d < bestD) {
      bestD = d;
      best = s;
    }
  }
  return best;
}
