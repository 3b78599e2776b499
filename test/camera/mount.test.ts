import { strict as assert } from 'node:assert';
import { baseToOptical, cameraMountFromConfig, type CameraMount } from '../../src/camera/mount';
import { defaultConfig } from '../../src/config';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

describe('camera mount', () => {
  it('comes from the camera config: frame id, height, pitch, forward offset, centred laterally', () => {
    const camera = {
      ...defaultConfig().camera,
      frame_id: 'go2_front',
      mount_height_m: 0.41,
      mount_pitch_rad: 0.25,
      mount_forward_m: 0.3,
    };
    assert.deepEqual(cameraMountFromConfig(camera), {
      frameId: 'go2_front',
      height_m: 0.41,
      pitch_rad: 0.25,
      forward_m: 0.3,
      lateral_m: 0,
    });
  });

  it('puts base_link points into the optical frame: x right, y down, z the depth ahead of the lens', () => {
    const level: CameraMount = {
      frameId: 'cam',
      height_m: 0.5,
      pitch_rad: 0,
      forward_m: 0.2,
      lateral_m: 0.1,
    };
    // 2 m ahead of the lens on its own axis line, on the floor: straight ahead, 0.5 m below the axis.
    const ahead = baseToOptical(level, 2.2, 0.1);
    close(ahead.x, 0, 'x on the lens axis');
    close(ahead.y, 0.5, 'y below');
    close(ahead.z, 2, 'depth');
    // A point to the left of the lens is at negative optical x; one behind the lens at negative depth.
    assert.ok(baseToOptical(level, 2.2, 0.6).x < 0);
    assert.ok(baseToOptical(level, 0, 0.1).z < 0);
  });

  it('tilts with the pitch: pitched down by 45°, the floor point h ahead of the lens is on the optical axis', () => {
    const down: CameraMount = {
      frameId: 'cam',
      height_m: 1,
      pitch_rad: Math.PI / 4,
      forward_m: 0,
      lateral_m: 0,
    };
    const p = baseToOptical(down, 1, 0);
    close(p.x, 0, 'x');
    close(p.y, 0, 'y');
    close(p.z, Math.SQRT2, 'depth');
  });
});
