import { strict as assert } from 'node:assert';
import {
  clipPolylinesToImage,
  mountRotation,
  mountTranslation,
  projectGroundPolyline,
  projectOptical,
  quaternionFromMatrix,
  rotateVector,
} from '../../src/viz/camera';
import { CameraModelError, intrinsicsFromCameraInfo, intrinsicsFromHfov } from '../../src/camera/intrinsics';
import { baseToOptical, type CameraMount } from '../../src/camera/mount';
import { closeTo } from './fixtures';

const level: CameraMount = { frameId: 'front_camera', height_m: 1, pitch_rad: 0, forward_m: 0, lateral_m: 0 };
const vga = intrinsicsFromHfov(640, 480, 90);

describe('viz camera model', () => {
  it('derives square-pixel intrinsics with a centred principal point from the horizontal field of view', () => {
    closeTo(vga.fx_px, 320, 1e-9, 'fx');
    closeTo(vga.fy_px, 320, 1e-9, 'fy');
    assert.equal(vga.cx_px, 320);
    assert.equal(vga.cy_px, 240);
    closeTo(intrinsicsFromHfov(1280, 720, 60).fx_px, 640 / Math.tan(Math.PI / 6), 1e-9, 'fx at 60°');
  });

  it('reads fx, fy, cx, cy from CameraInfo K (principal point moved to pixel-corner coordinates) and refuses a bad K', () => {
    const k = intrinsicsFromCameraInfo({
      width: 1280,
      height: 720,
      k: [600, 0, 639.5, 0, 605, 359.5, 0, 0, 1],
    });
    assert.deepEqual(k, { width_px: 1280, height_px: 720, fx_px: 600, fy_px: 605, cx_px: 640, cy_px: 360 });
    assert.throws(
      () => intrinsicsFromCameraInfo({ width: 10, height: 10, k: [1, 0, 5] }),
      /9 finite numbers/,
    );
    assert.throws(
      () => intrinsicsFromCameraInfo({ width: 10, height: 10, k: [0, 0, 5, 0, 0, 5, 0, 0, 1] }),
      /fx=0 fy=0/,
    );
    assert.throws(() => intrinsicsFromHfov(640, 480, 180), CameraModelError);
    assert.throws(() => intrinsicsFromHfov(0, 480, 90), /0×480/);
  });

  it('projects ground points of a level camera where the pinhole geometry puts them', () => {
    // 1 m above the floor, looking ahead: a floor point d ahead is 1 m below the axis at depth d.
    const ahead = projectOptical(vga, baseToOptical(level, 2, 0));
    closeTo(ahead.u, 320, 1e-9, 'u straight ahead');
    closeTo(ahead.v, 240 + 320 / 2, 1e-9, 'v 2 m ahead');
    // 2 m ahead and 2 m to the left lies on the left edge of a 90° image.
    closeTo(projectOptical(vga, baseToOptical(level, 2, 2)).u, 0, 1e-9, 'u at 45° left');
    closeTo(projectOptical(vga, baseToOptical(level, 2, -2)).u, 640, 1e-9, 'u at 45° right');
  });

  it('puts the floor point on the optical axis at the image centre when the camera pitches down onto it', () => {
    const down45: CameraMount = {
      frameId: 'cam',
      height_m: 1,
      pitch_rad: Math.PI / 4,
      forward_m: 0.3,
      lateral_m: 0,
    };
    const p = projectOptical(vga, baseToOptical(down45, 1.3, 0));
    closeTo(p.u, 320, 1e-9, 'u');
    closeTo(p.v, 240, 1e-9, 'v');
    // A point nearer than the axis hit is lower in the image.
    assert.ok(projectOptical(vga, baseToOptical(down45, 1.0, 0)).v > 240);
  });

  it('drops path points behind the camera and cuts the segment that crosses the lens plane', () => {
    const pts = [
      { x_m: -1, y_m: 0, t: 0 },
      { x_m: 1, y_m: 0, t: 0.5 },
      { x_m: 3, y_m: 0, t: 1 },
    ];
    const lines = projectGroundPolyline(pts, level, vga, 0.05);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line!.length, 3, 'crossing point + two visible points');
    // The crossing is at depth 0.05 m, 52.5 % of the way from the first to the second point.
    closeTo(line![0]!.t, 0.2625, 1e-12, 'crossing parameter');
    closeTo(line![0]!.v, 240 + 320 / 0.05, 1e-6, 'crossing pixel row');
    closeTo(line![2]!.v, 240 + 320 / 3, 1e-9, 'far point row');
    assert.deepEqual(
      projectGroundPolyline(
        [
          { x_m: -2, y_m: 0, t: 0 },
          { x_m: -1, y_m: 1, t: 1 },
        ],
        level,
        vga,
      ),
      [],
    );
  });

  it('splits a path that leaves the view behind the camera and comes back into two polylines', () => {
    const pts = [
      { x_m: 2, y_m: 0, t: 0 },
      { x_m: -1, y_m: 1, t: 0.5 },
      { x_m: 2, y_m: 2, t: 1 },
    ];
    const lines = projectGroundPolyline(pts, level, vga);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.length, 2);
    assert.equal(lines[1]!.length, 2);
  });

  it('clips projected polylines to the image rectangle, splitting a path that leaves and re-enters', () => {
    const line = [
      { u: 320, v: 900, t: 0 },
      { u: 320, v: 240, t: 0.5 },
      { u: 800, v: 240, t: 0.75 },
      { u: 100, v: 100, t: 1 },
    ];
    const out = clipPolylinesToImage([line], vga);
    assert.equal(out.length, 2);
    // Enters through the bottom edge, leaves through the right edge.
    closeTo(out[0]![0]!.v, 480, 1e-9, 'bottom entry');
    closeTo(out[0]![0]!.t, 0.5 * (420 / 660), 1e-12, 'entry time');
    assert.deepEqual(out[0]![1], { u: 320, v: 240, t: 0.5 });
    closeTo(out[0]![2]!.u, 640, 1e-9, 'right exit');
    // Comes back in through the right edge and ends inside.
    closeTo(out[1]![0]!.u, 640, 1e-9, 'right re-entry');
    assert.deepEqual(out[1]![1], { u: 100, v: 100, t: 1 });
    // Wholly outside: nothing; a lone point only when inside.
    assert.deepEqual(
      clipPolylinesToImage(
        [
          [
            { u: -5, v: 10, t: 0 },
            { u: -1, v: 900, t: 1 },
          ],
        ],
        vga,
      ),
      [],
    );
    assert.deepEqual(clipPolylinesToImage([[{ u: 5, v: 10, t: 0 }], [{ u: 5, v: 481, t: 1 }]], vga), [
      [{ u: 5, v: 10, t: 0 }],
    ]);
  });

  it('gives the optical frame rotation that maps optical axes onto base_link axes, pitch included', () => {
    const q0 = mountRotation(0);
    const z = rotateVector(q0, { x: 0, y: 0, z: 1 });
    const x = rotateVector(q0, { x: 1, y: 0, z: 0 });
    const y = rotateVector(q0, { x: 0, y: 1, z: 0 });
    [
      [z, { x: 1, y: 0, z: 0 }],
      [x, { x: 0, y: -1, z: 0 }],
      [y, { x: 0, y: 0, z: -1 }],
    ].forEach(([a, b], i) => {
      closeTo(a!.x, b!.x, 1e-12, `axis ${i} x`);
      closeTo(a!.y, b!.y, 1e-12, `axis ${i} y`);
      closeTo(a!.z, b!.z, 1e-12, `axis ${i} z`);
    });
    // Pitched down by 0.3 rad, the optical axis points forward and down.
    const axis = rotateVector(mountRotation(0.3), { x: 0, y: 0, z: 1 });
    closeTo(axis.x, Math.cos(0.3), 1e-12, 'axis x');
    closeTo(axis.z, -Math.sin(0.3), 1e-12, 'axis z');
  });

  it('agrees with its own transform: base = R·optical + t inverts baseToOptical for any mount', () => {
    for (const lateral_m of [0, -0.05]) {
      const mount: CameraMount = {
        frameId: 'cam',
        height_m: 0.32,
        pitch_rad: 0.2,
        forward_m: 0.28,
        lateral_m,
      };
      for (const [x, y, zz] of [
        [1.5, 0.4, 0],
        [3, -1, 0.2],
        [0.5, 0.1, -0.1],
      ] as const) {
        const o = baseToOptical(mount, x, y, zz);
        const r = rotateVector(mountRotation(mount.pitch_rad), o);
        const t = mountTranslation(mount);
        closeTo(r.x + t.x, x, 1e-12, 'x');
        closeTo(r.y + t.y, y, 1e-12, 'y');
        closeTo(r.z + t.z, zz, 1e-12, 'z');
      }
    }
  });

  it('turns rotation matrices into unit quaternions with w ≥ 0 in every branch', () => {
    const yaw = (a: number) => [
      [Math.cos(a), -Math.sin(a), 0],
      [Math.sin(a), Math.cos(a), 0],
      [0, 0, 1],
    ];
    for (const a of [0, 1, 3, -3, Math.PI]) {
      const q = quaternionFromMatrix(yaw(a));
      closeTo(Math.hypot(q.x, q.y, q.z, q.w), 1, 1e-12, 'norm');
      assert.ok(q.w >= 0);
      closeTo(Math.abs(q.z), Math.abs(Math.sin(a / 2)), 1e-12, `z for yaw ${a}`);
    }
    const flipX = quaternionFromMatrix([
      [1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
    ]);
    assert.deepEqual(
      [flipX.x, flipX.y, flipX.z, flipX.w].map((v) => Math.abs(Math.round(v * 1e9) / 1e9)),
      [1, 0, 0, 0],
    );
  });
});
