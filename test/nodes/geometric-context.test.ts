import { strict as assert } from 'node:assert';
import { defaultConfig } from '../../src/config';
import { GeometricInputs } from '../../src/nodes/planner/geometric-context';
import { odometry } from './planner-fixtures';

describe('planner node: inputs of the geometric action source', () => {
  const config = defaultConfig();
  const make = (lines: string[]) =>
    new GeometricInputs(config.camera, config.planner, 256, (line) => lines.push(line));

  it("has no context before the first frame, then the configured field of view on the frames' size, logged", () => {
    const lines: string[] = [];
    const inputs = make(lines);
    assert.equal(inputs.context(), undefined);
    inputs.onFrame({ width: 1280, height: 720 });
    const context = inputs.context()!;
    assert.equal(context.camera.source, 'fov');
    assert.equal(context.camera.width_px, 256);
    // 90° on 1280 px: f = 640 px; the 720 px centre square scaled to 256 px: f = 640 · 256 / 720.
    assert.ok(Math.abs(context.camera.fx_px - (640 * 256) / 720) < 1e-9);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /no camera_info: configured 90° horizontal field of view on 1280×720/);
    inputs.context();
    assert.equal(lines.length, 1, 'logged once per camera model');
  });

  it('prefers CameraInfo, refuses a malformed one by name, and passes the measured velocity', () => {
    const lines: string[] = [];
    const inputs = make(lines);
    inputs.onFrame({ width: 640, height: 360 });
    assert.match(
      inputs.onCameraInfo({ width: 640, height: 360, k: [0, 0, 0, 0, 0, 0, 0, 0, 1] })!,
      /focal lengths/,
    );
    assert.equal(
      inputs.onCameraInfo({ width: 640, height: 360, k: [500, 0, 319.5, 0, 500, 179.5, 0, 0, 1] }),
      undefined,
    );
    const msg = odometry(1n, 0, 0, 0);
    msg.twist.twist.linear.x = 0.4;
    msg.twist.twist.linear.y = -0.1;
    inputs.onOdometry(msg);
    const context = inputs.context()!;
    assert.equal(context.camera.source, 'camera_info');
    assert.ok(Math.abs(context.camera.fx_px - (500 * 256) / 360) < 1e-9);
    assert.deepEqual(context.odometry, { vx_mps: 0.4, vy_mps: -0.1 });
    assert.match(lines[lines.length - 1]!, /^geometric action source: camera_info 640×360/);
  });
});
