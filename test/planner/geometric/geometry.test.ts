import { strict as assert } from 'node:assert';
import { configSchema } from '../../../src/config/schema';
import {
  cameraModel,
  centreSquareCrop,
  checkAgainstOdometry,
  DEFAULT_GEOMETRIC_OPTIONS,
  geometricOptionsFromConfig,
  groundToPixel,
  pixelToGround,
  type CameraModel,
} from '../../../src/planner/actions/geometric';
import { CameraModelError, intrinsicsFromCameraInfo } from '../../../src/camera/intrinsics';
import { cameraMountFromConfig } from '../../../src/camera/mount';
import { fitRigid, type Correspondence } from '../../../src/planner/actions/geometric/rigid';
import { CAMERA_INFO, MOUNT } from './scenes';

function close(actual: number, expected: number, tolerance: number): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);
}

const tilted = (): CameraModel =>
  cameraModel({
    cameraInfo: CAMERA_INFO,
    hfov_deg: 90,
    sourceWidth_px: 640,
    sourceHeight_px: 360,
    mount: { height_m: 0.45, pitch_rad: 0.3, forward_m: 0.2, lateral_m: -0.05 },
    size_px: 256,
  });

describe('geometric action source: camera model and ground plane', () => {
  it('scales and shifts CameraInfo intrinsics for the release centre square crop and resize', () => {
    const k = intrinsicsFromCameraInfo({
      width: 1280,
      height: 720,
      k: [640, 0, 700.5, 0, 650, 350.5, 0, 0, 1],
    });
    // ROS puts the top-left pixel's centre at 0: the corner convention adds half a pixel.
    assert.equal(k.cx_px, 701);
    const c = centreSquareCrop(k, 256);
    // Crop side 720 at left offset 280, scale 256/720.
    close(c.fx_px, (640 * 256) / 720, 1e-9);
    close(c.fy_px, (650 * 256) / 720, 1e-9);
    close(c.cx_px, ((701 - 280) * 256) / 720, 1e-9);
    close(c.cy_px, (351 * 256) / 720, 1e-9);
  });

  it('falls back to the configured field of view without CameraInfo and says so', () => {
    const withInfo = cameraModel({
      cameraInfo: CAMERA_INFO,
      hfov_deg: 60,
      sourceWidth_px: 640,
      sourceHeight_px: 360,
      mount: MOUNT,
      size_px: 256,
    });
    const fromFov = cameraModel({
      hfov_deg: 90,
      sourceWidth_px: 640,
      sourceHeight_px: 360,
      mount: MOUNT,
      size_px: 256,
    });
    assert.equal(withInfo.source, 'camera_info');
    assert.equal(fromFov.source, 'fov');
    assert.match(fromFov.description, /no camera_info: configured 90° horizontal field of view/);
    close(fromFov.fx_px, withInfo.fx_px, 1e-9);
    close(fromFov.cx_px, withInfo.cx_px, 1e-9);
  });

  it('rejects CameraInfo without a usable K and a mount that cannot give scale, naming them', () => {
    assert.throws(
      () => intrinsicsFromCameraInfo({ width: 640, height: 360, k: [0, 0, 0, 0, 0, 0, 0, 0, 0] }),
      (e: Error) => e instanceof CameraModelError && /focal lengths/.test(e.message),
    );
    assert.throws(() => intrinsicsFromCameraInfo({ width: 640, height: 360, k: [1, 2, 3] }), /k must be 9/);
    const mount = (m: Partial<typeof MOUNT>) => () =>
      cameraModel({
        hfov_deg: 90,
        sourceWidth_px: 640,
        sourceHeight_px: 360,
        mount: { ...MOUNT, ...m },
        size_px: 256,
      });
    assert.throws(mount({ height_m: 0 }), /height must be > 0.01 m/);
    assert.throws(mount({ pitch_rad: NaN }), /pitch_rad is NaN/);
  });

  it('maps floor points to pixels and back through a pitched, offset mount (REP-103)', () => {
    const camera = tilted();
    for (const [x, y] of [
      [1, 0],
      [2.5, 0.8],
      [0.9, -0.4],
    ] as const) {
      const px = groundToPixel(camera, x, y)!;
      const back = pixelToGround(camera, px.u, px.v)!;
      close(back.x_m, x, 1e-9);
      close(back.y_m, y, 1e-9);
    }
    // A point to the left (+y) appears left of the principal point; farther points appear higher.
    assert.ok(groundToPixel(camera, 2, 0.5)!.u < groundToPixel(camera, 2, -0.5)!.u);
    assert.ok(groundToPixel(camera, 3, 0)!.v < groundToPixel(camera, 1, 0)!.v);
  });

  it('finds no floor at or above the horizon, nor beyond the range limit', () => {
    const level = cameraModel({
      hfov_deg: 90,
      sourceWidth_px: 256,
      sourceHeight_px: 256,
      mount: MOUNT,
      size_px: 256,
    });
    assert.equal(pixelToGround(level, 128, 100), undefined);
    assert.equal(pixelToGround(level, 128, 128), undefined);
    const near = pixelToGround(level, 128, 200)!;
    close(near.range_m, (0.32 * 128) / 72, 1e-9);
    assert.equal(pixelToGround(level, 128, 129, 5), undefined);
  });
});

describe('geometric action source: rigid fit and odometry check', () => {
  it('recovers a planar motion exactly from exact floor correspondences', () => {
    const truth = { x_m: 0.11, y_m: -0.03, theta_rad: 0.2 };
    const c = Math.cos(truth.theta_rad);
    const s = Math.sin(truth.theta_rad);
    const points: Correspondence[] = [
      [1, 0.2],
      [2, -0.5],
      [0.7, 0.9],
      [1.5, 1.5],
    ].map(([qx, qy], i) => ({
      qx: qx!,
      qy: qy!,
      px: truth.x_m + c * qx! - s * qy!,
      py: truth.y_m + s * qx! + c * qy!,
      u: 0,
      v: 0,
      weight: 1 + i,
    }));
    const fit = fitRigid(points)!;
    close(fit.x_m, truth.x_m, 1e-12);
    close(fit.y_m, truth.y_m, 1e-12);
    close(fit.theta_rad, truth.theta_rad, 1e-12);
    assert.equal(fitRigid([]), undefined);
  });

  it('flags a first step whose speed disagrees with odometry, and does not apply at rest', () => {
    const ok = checkAgainstOdometry([0.12, 0, 0], 0.25, { vx_mps: 0.5, vy_mps: 0 }, 0.3, 0.1);
    assert.deepEqual([ok.applicable, ok.consistent], [true, true]);
    close(ok.estimated_mps, 0.48, 1e-12);
    const bad = checkAgainstOdometry([0.3, 0, 0], 0.25, { vx_mps: 0.4, vy_mps: 0 }, 0.3, 0.1);
    assert.deepEqual([bad.applicable, bad.consistent], [true, false]);
    const rest = checkAgainstOdometry([0.3, 0, 0], 0.25, { vx_mps: 0.02, vy_mps: 0 }, 0.3, 0.1);
    assert.deepEqual([rest.applicable, rest.consistent], [false, true]);
    assert.throws(
      () => checkAgainstOdometry([0, 0, 0], 0.25, { vx_mps: NaN, vy_mps: 0 }, 0.3, 0.1),
      /not finite/,
    );
  });

  it('reads planner.action_source and the planner.geometric_* keys from the config, defaults matching the estimator', () => {
    const config = configSchema.parse({});
    assert.equal(config.planner.action_source, 'auto');
    assert.deepEqual(geometricOptionsFromConfig(config.planner), DEFAULT_GEOMETRIC_OPTIONS);
    assert.deepEqual(cameraMountFromConfig(config.camera), {
      frameId: config.camera.frame_id,
      height_m: config.camera.mount_height_m,
      pitch_rad: config.camera.mount_pitch_rad,
      forward_m: config.camera.mount_forward_m,
      lateral_m: 0,
    });
    assert.throws(() => configSchema.parse({ planner: { action_source: 'dreams' } }), /action_source/);
  });
});
