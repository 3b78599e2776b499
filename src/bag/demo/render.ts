/**
 * Column ray casting of the demo floor plan into an RGB image through a pinhole camera: textured walls, doors
 * and the wooden target table, perspective-correct floor tiles and ceiling panels, distance fog. Pure TypeScript.
 *
 * Two passes: one DDA ray per column finds the wall (and the table in front of it), then rows are filled in
 * memory order; a ray direction whose forward component is 1 makes the DDA parameter the pinhole depth z.
 */
import { CellKind, type GridWorld } from './world';

export interface PinholeCamera {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

export interface CameraPose {
  x_m: number;
  y_m: number;
  yaw_rad: number;
  height_m: number;
}

type Rgb = readonly [number, number, number];

const WALL_HEIGHT_M = 2.6;
const DOOR_HEIGHT_M = 2.05;
const TARGET_HEIGHT_M = 0.75;
const FOG_M = 14;
const FOG: Rgb = [58, 58, 64];
const WALLS: readonly Rgb[] = [
  [222, 212, 188],
  [166, 190, 222],
  [172, 204, 164],
  [228, 186, 148],
];
const DOORS: readonly Rgb[] = [
  [150, 70, 42],
  [56, 90, 152],
  [66, 126, 76],
];
const MAX_STEPS = 1024;

/** Deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RayCastRenderer {
  readonly camera: PinholeCamera;
  readonly #world: GridWorld;
  readonly #noise = new Float32Array(256 * 256);
  readonly #walls: Rgb[];
  // Per-column results of the ray pass.
  readonly #dirX: Float64Array;
  readonly #dirY: Float64Array;
  readonly #wall: ColumnHits;
  readonly #table: ColumnHits;

  constructor(world: GridWorld, camera: PinholeCamera, seed = 0) {
    this.#world = world;
    this.camera = camera;
    const rand = seededRandom(seed);
    const raw = Float32Array.from({ length: 256 * 256 }, () => rand() * 2 - 1);
    // A 3×3 blur turns white noise into a plaster-like grain.
    for (let j = 0; j < 256; j++)
      for (let i = 0; i < 256; i++) {
        let s = 0;
        for (let dj = -1; dj <= 1; dj++)
          for (let di = -1; di <= 1; di++) s += raw[((j + dj) & 255) * 256 + ((i + di) & 255)]!;
        this.#noise[j * 256 + i] = s / 9;
      }
    this.#walls = WALLS.map((c) => c.map((v) => v + Math.round((rand() - 0.5) * 16)) as unknown as Rgb);
    const w = camera.width;
    this.#dirX = new Float64Array(w);
    this.#dirY = new Float64Array(w);
    this.#wall = new ColumnHits(w);
    this.#table = new ColumnHits(w);
  }

  /** Renders the view from `pose` into `out` (RGB, row-major, width×height×3; allocated when omitted). */
  render(pose: CameraPose, out = new Uint8Array(this.camera.width * this.camera.height * 3)): Uint8Array {
    const { width, height, fx, fy, cx, cy } = this.camera;
    const cos = Math.cos(pose.yaw_rad);
    const sin = Math.sin(pose.yaw_rad);
    for (let c = 0; c < width; c++) {
      const a = (cx - (c + 0.5)) / fx;
      this.#dirX[c] = cos - a * sin;
      this.#dirY[c] = sin + a * cos;
      this.#castColumn(c, pose);
    }
    const camH = pose.height_m;
    const noise = this.#noise;
    const wall = this.#wall;
    const table = this.#table;
    const dirX = this.#dirX;
    const dirY = this.#dirY;
    // Row spans of the wall and the table per column.
    for (let c = 0; c < width; c++) {
      wall.top[c] = cy - (fy * (WALL_HEIGHT_M - camH)) / wall.z[c]!;
      wall.bottom[c] = cy + (fy * camH) / wall.z[c]!;
      table.top[c] = table.z[c]! < Infinity ? cy - (fy * (TARGET_HEIGHT_M - camH)) / table.z[c]! : Infinity;
      table.bottom[c] = table.z[c]! < Infinity ? cy + (fy * camH) / table.z[c]! : -Infinity;
    }
    let o = 0;
    for (let r = 0; r < height; r++) {
      const yc = r + 0.5;
      const zCeil = yc < cy ? (fy * (WALL_HEIGHT_M - camH)) / (cy - yc) : Infinity;
      const zFloor = yc > cy ? (fy * camH) / (yc - cy) : Infinity;
      const fogCeil = Math.exp(-zCeil / FOG_M);
      const fogFloor = Math.exp(-zFloor / FOG_M);
      for (let c = 0; c < width; c++, o += 3) {
        if (yc >= table.top[c]! && yc <= table.bottom[c]!) {
          this.#tableTexel(out, o, c, camH + ((cy - yc) * table.z[c]!) / fy);
        } else if (yc < wall.top[c]!) {
          const px = pose.x_m + zCeil * dirX[c]!;
          const py = pose.y_m + zCeil * dirY[c]!;
          const fx2 = px * 0.5 - Math.floor(px * 0.5);
          const fy2 = py * 0.5 - Math.floor(py * 0.5);
          if (fx2 > 0.2 && fx2 < 0.8 && fy2 > 0.35 && fy2 < 0.65) {
            put(out, o, 246, 246, 236, fogCeil);
          } else {
            const v = 204 + noise[((py * 40) & 255) * 256 + ((px * 40) & 255)]! * 6;
            put(out, o, v, v, v + 5, fogCeil);
          }
        } else if (yc > wall.bottom[c]!) {
          const px = pose.x_m + zFloor * dirX[c]!;
          const py = pose.y_m + zFloor * dirY[c]!;
          const ix = Math.floor(px * 2);
          const iy = Math.floor(py * 2);
          if (px * 2 - ix < 0.03 || py * 2 - iy < 0.03) {
            put(out, o, 82, 80, 76, fogFloor);
          } else {
            const v = ((ix + iy) & 1 ? 120 : 150) + noise[((py * 64) & 255) * 256 + ((px * 64) & 255)]! * 10;
            put(out, o, v, v - 2, v - 6, fogFloor);
          }
        } else {
          this.#wallTexel(out, o, c, camH + ((cy - yc) * wall.z[c]!) / fy);
        }
      }
    }
    return out;
  }

  #castColumn(c: number, pose: CameraPose): void {
    const world = this.#world;
    const cell = world.cell_m;
    const dx = this.#dirX[c]!;
    const dy = this.#dirY[c]!;
    const gx = (pose.x_m - world.originX_m) / cell;
    const gy = (pose.y_m - world.originY_m) / cell;
    let mx = Math.floor(gx);
    let my = Math.floor(gy);
    const stepX = dx < 0 ? -1 : 1;
    const stepY = dy < 0 ? -1 : 1;
    const deltaX = Math.abs(cell / dx);
    const deltaY = Math.abs(cell / dy);
    let sideX = (dx < 0 ? gx - mx : mx + 1 - gx) * deltaX;
    let sideY = (dy < 0 ? gy - my : my + 1 - gy) * deltaY;
    this.#table.z[c] = Infinity;
    for (let i = 0; i < MAX_STEPS; i++) {
      let t: number;
      let side: 0 | 1;
      if (sideX < sideY) {
        t = sideX;
        sideX += deltaX;
        mx += stepX;
        side = 0;
      } else {
        t = sideY;
        sideY += deltaY;
        my += stepY;
        side = 1;
      }
      const inside = mx >= 0 && my >= 0 && mx < world.cols && my < world.rows;
      const kind = inside ? world.kind[my * world.cols + mx]! : CellKind.Wall;
      if (kind === CellKind.Free) continue;
      if (kind === CellKind.Target) {
        if (this.#table.z[c] === Infinity) this.#record(this.#table, c, t, side, mx, my, pose, kind);
        continue;
      }
      this.#record(this.#wall, c, t, side, mx, my, pose, kind);
      return;
    }
    this.#wall.z[c] = 1e6;
  }

  #record(
    hits: ColumnHits,
    c: number,
    t: number,
    side: 0 | 1,
    mx: number,
    my: number,
    pose: CameraPose,
    kind: number,
  ): void {
    const w = this.#world;
    const hx = pose.x_m + t * this.#dirX[c]!;
    const hy = pose.y_m + t * this.#dirY[c]!;
    // Along the face: y for faces crossed in x, x for faces crossed in y; neighbours along it decide the edges.
    const u = side === 0 ? hy : hx;
    const start = side === 0 ? w.originY_m + my * w.cell_m : w.originX_m + mx * w.cell_m;
    const same = (i: number, j: number): boolean =>
      i >= 0 && j >= 0 && i < w.cols && j < w.rows && w.kind[j * w.cols + i] === kind;
    const minus = side === 0 ? same(mx, my - 1) : same(mx - 1, my);
    const plus = side === 0 ? same(mx, my + 1) : same(mx + 1, my);
    const inside = mx >= 0 && my >= 0 && mx < w.cols && my < w.rows;
    hits.z[c] = Math.max(t, 1e-3);
    hits.u[c] = u;
    hits.edge[c] = Math.min(minus ? Infinity : u - start, plus ? Infinity : start + w.cell_m - u);
    hits.kind[c] = kind;
    hits.tag[c] = inside ? w.tag[my * w.cols + mx]! : 0;
    hits.shade[c] = (side === 0 ? 1 : 0.8) * Math.exp(-t / FOG_M);
  }

  #wallTexel(out: Uint8Array, o: number, c: number, h: number): void {
    const w = this.#wall;
    const u = w.u[c]!;
    const shade = w.shade[c]!;
    const n = this.#noise[((h * 50) & 255) * 256 + ((u * 50) & 255)]!;
    if (w.kind[c] === CellKind.Door && h < DOOR_HEIGHT_M) {
      const frame = w.edge[c]! < 0.07 || h > DOOR_HEIGHT_M - 0.07;
      if (frame) return put(out, o, 236, 232, 222, shade);
      if (w.edge[c]! > 0.1 && w.edge[c]! < 0.16 && h > 0.95 && h < 1.03)
        return put(out, o, 210, 196, 120, shade);
      const d = DOORS[w.tag[c]! % DOORS.length]!;
      const panel = Math.abs(h - 1.45) < 0.02 || Math.abs(h - 0.55) < 0.02 ? 0.8 : 1;
      return put(out, o, d[0] * panel + n * 8, d[1] * panel + n * 8, d[2] * panel + n * 8, shade);
    }
    if (h < 0.12) return put(out, o, 92 + n * 6, 82 + n * 6, 72 + n * 6, shade);
    const tag = w.tag[c]!;
    const base = this.#walls[tag % this.#walls.length]!;
    let k = 1 + n * 0.05;
    if (u / 1.2 - Math.floor(u / 1.2) < 0.015) k *= 0.72; // panel seams
    if (tag === 1 && h > 1.0 && h < 1.25) k *= 0.85; // a band along the second corridor
    if (tag === 3 && h < 1.0) k *= 0.8; // wainscoting in the room
    if (tag === 0 && Math.abs(h - 1.0) < 0.03) k *= 0.7; // dado rail in the first corridor
    put(out, o, base[0] * k, base[1] * k, base[2] * k, shade);
  }

  #tableTexel(out: Uint8Array, o: number, c: number, h: number): void {
    const t = this.#table;
    const u = t.u[c]!;
    const n = this.#noise[((h * 20) & 255) * 256 + ((u * 90) & 255)]!;
    const grain = Math.sin(u * 45 + n * 6) * 14;
    const edge = t.edge[c]! < 0.04 || h > TARGET_HEIGHT_M - 0.05;
    const k = edge ? 0.7 : 1;
    put(out, o, (139 + grain) * k, (88 + grain * 0.7) * k, (50 + grain * 0.4) * k, t.shade[c]!);
  }
}

class ColumnHits {
  readonly z: Float64Array;
  readonly u: Float64Array;
  readonly edge: Float64Array;
  readonly shade: Float64Array;
  readonly kind: Uint8Array;
  readonly tag: Uint8Array;
  readonly top: Float64Array;
  readonly bottom: Float64Array;

  constructor(width: number) {
    this.z = new Float64Array(width).fill(Infinity);
    this.u = new Float64Array(width);
    this.edge = new Float64Array(width);
    this.shade = new Float64Array(width);
    this.kind = new Uint8Array(width);
    this.tag = new Uint8Array(width);
    this.top = new Float64Array(width);
    this.bottom = new Float64Array(width);
  }
}

/** Writes a colour faded towards the fog colour by `visibility` (1 = clear). Every palette value stays within 0..255, so no clamping is needed. */
function put(out: Uint8Array, o: number, r: number, g: number, b: number, visibility: number): void {
  out[o] = r * visibility + FOG[0] * (1 - visibility);
  out[o + 1] = g * visibility + FOG[1] * (1 - visibility);
  out[o + 2] = b * visibility + FOG[2] * (1 - visibility);
}
