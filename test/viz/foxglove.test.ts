import { strict as assert } from 'node:assert';
import { CdrCodec } from '../../src/bag/codec';
import { InvalidPlanError, trajectoryFromPlan } from '../../src/geometry/trajectory';
import { trajectoryFromPlanMsg } from '../../src/messages/plan';
import { NS_PER_S } from '../../src/messages/time';
import { plannedPathFromPlan, type Plan } from '../../src/planner/plan';
import { defaultConfig } from '../../src/config';
import { rotateVector } from '../../src/viz/camera';
import { intrinsicsFromCameraInfo, intrinsicsFromHfov } from '../../src/camera/intrinsics';
import { cameraMountFromConfig, type CameraMount } from '../../src/camera/mount';
import {
  frameTransforms,
  pathImageAnnotations,
  pathPosesInFrame,
  pathSceneUpdate,
  timeColor,
} from '../../src/viz/foxglove';
import { FoxgloveTypes } from '../../src/viz/topics';
import { closeTo, odometry, planMsg } from './fixtures';

const STAMP = 1_700_000_010n * NS_PER_S + 250_000_000n;
const codec = new CdrCodec();

/** Encodes with the package's CDR codec and decodes again: wrong field names or types come back different. */
function roundTrip(type: string, message: unknown): unknown {
  return codec.decode(type, codec.encode(type, message));
}

function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v)),
  );
}

describe('viz foxglove messages', () => {
  const forward = trajectoryFromPlanMsg(planMsg({ stampNs: STAMP, sequence: 7, dx_m: 0.1 }));

  it('builds the path from a Plan message with the controller trajectory, waypoints in the plan frame', () => {
    assert.equal(forward.waypoints.length, 9);
    closeTo(forward.waypoints[8]!.x_m, 0.8, 1e-12, 'end x');
    assert.equal(forward.baseFrameId, 'base_link');
    assert.equal(forward.stampNs, STAMP);
    assert.equal(forward.inputPose, undefined);
    assert.throws(
      () => trajectoryFromPlanMsg(planMsg({ stampNs: STAMP, dx_m: [0.1, NaN], n: 2 })),
      InvalidPlanError,
    );
  });

  it('gives the same path from the planner’s in-process Plan as from its message', () => {
    const actions = [0.1, 0.12, 0.1].map((dx, k) => ({ dx_m: dx, dy_m: 0.01 * k, dtheta_rad: 0.05 }));
    const plan = { ok: true, sequence: 3, inputStampNs: STAMP, actions, stepDtS: 0.25 } as unknown as Plan;
    const fromPlan = trajectoryFromPlan(
      plannedPathFromPlan(plan, { baseFrameId: 'base_link', episodeId: 'episode-1' }),
    );
    const fromMsg = trajectoryFromPlanMsg(
      planMsg({
        stampNs: STAMP,
        sequence: 3,
        n: 3,
        dx_m: [0.1, 0.12, 0.1],
        dy_m: [0, 0.01, 0.02],
        dtheta_rad: 0.05,
      }),
    );
    assert.deepEqual(fromPlan, fromMsg);
  });

  it('draws PosesInFrame in the odometry frame when the plan carries its input pose', () => {
    const path = trajectoryFromPlanMsg(
      planMsg({ stampNs: STAMP, dx_m: 0.1, inputPose: { x_m: 2, y_m: 1, theta_rad: Math.PI / 2 } }),
    );
    const msg = pathPosesInFrame(path);
    assert.equal(msg.frame_id, 'odom');
    assert.deepEqual(msg.timestamp, { sec: 1_700_000_010, nanosec: 250_000_000 });
    assert.equal(msg.poses.length, 9);
    // Facing +y in odom: 0.8 m forward ends at (2, 1.8).
    closeTo(msg.poses[8]!.position.x, 2, 1e-12, 'x');
    closeTo(msg.poses[8]!.position.y, 1.8, 1e-12, 'y');
    closeTo(msg.poses[8]!.orientation.z, Math.SQRT1_2, 1e-12, 'qz');
    assert.deepEqual(roundTrip(FoxgloveTypes.PosesInFrame, msg), msg);
  });

  it('draws PosesInFrame in the base frame at the stamp when no input pose is known', () => {
    const msg = pathPosesInFrame(forward);
    assert.equal(msg.frame_id, 'base_link');
    closeTo(msg.poses[4]!.position.x, 0.4, 1e-12, 'x at step 4');
  });

  it('colours the path by time from green at the stamp to red at the end', () => {
    assert.deepEqual(timeColor(0), { r: 0, g: 1, b: 0.15, a: 1 });
    assert.deepEqual(timeColor(0.5), { r: 1, g: 1, b: 0.15, a: 1 });
    assert.deepEqual(timeColor(1), { r: 1, g: 0, b: 0.15, a: 1 });
    assert.deepEqual(timeColor(7), timeColor(1));
    assert.deepEqual(timeColor(NaN), timeColor(0));
  });

  it('builds a SceneUpdate line strip with one colour per point and an arrow per step, CDR-encodable', () => {
    const msg = pathSceneUpdate(forward, { samplesPerStep: 2 });
    assert.equal(msg.entities.length, 1);
    const entity = msg.entities[0]!;
    assert.equal(entity.id, 'plan_path');
    assert.equal(entity.frame_id, 'base_link');
    const line = entity.lines[0]!;
    assert.equal(line.points.length, 17);
    assert.equal(line.colors.length, 17);
    assert.deepEqual(line.colors[0], timeColor(0));
    assert.deepEqual(line.colors[16], timeColor(1));
    closeTo(line.points[16]!.x, 0.8, 1e-12, 'last point');
    assert.equal(entity.arrows.length, 8);
    assert.deepEqual(entity.metadata, [
      { key: 'plan_sequence', value: '7' },
      { key: 'step_dt_s', value: '0.25' },
    ]);
    assert.deepEqual(plain(roundTrip(FoxgloveTypes.SceneUpdate, msg)), plain(msg));
    assert.equal(pathSceneUpdate(forward, { arrows: false }).entities[0]!.arrows.length, 0);
  });

  it('builds FrameTransforms odom→base from odometry and base→camera from the mount', () => {
    const odom = odometry(STAMP, { x_m: 3, y_m: -1, theta_rad: 0.5 });
    const mount: CameraMount = {
      frameId: 'front_camera',
      height_m: 0.32,
      pitch_rad: 0.1,
      forward_m: 0.28,
      lateral_m: 0,
    };
    const msg = frameTransforms({
      odometry: odom,
      mount: { camera: mount, baseFrameId: 'base_link', stampNs: STAMP },
    });
    assert.equal(msg.transforms.length, 2);
    const [odomTf, camTf] = msg.transforms;
    assert.deepEqual([odomTf!.parent_frame_id, odomTf!.child_frame_id], ['odom', 'base_link']);
    assert.deepEqual(odomTf!.translation, { x: 3, y: -1, z: 0 });
    assert.deepEqual(odomTf!.timestamp, odom.header.stamp);
    assert.deepEqual([camTf!.parent_frame_id, camTf!.child_frame_id], ['base_link', 'front_camera']);
    assert.deepEqual(camTf!.translation, { x: 0.28, y: 0, z: 0.32 });
    const axis = rotateVector(camTf!.rotation, { x: 0, y: 0, z: 1 });
    closeTo(axis.z, -Math.sin(0.1), 1e-12, 'optical axis tilts down');
    assert.deepEqual(roundTrip(FoxgloveTypes.FrameTransforms, msg), msg);
    assert.deepEqual(frameTransforms({}), { transforms: [] });
  });

  it('projects a straight path into the image centre column from where it enters the image to the horizon', () => {
    const mount: CameraMount = {
      frameId: 'front_camera',
      height_m: 1,
      pitch_rad: 0,
      forward_m: 0,
      lateral_m: 0,
    };
    const intrinsics = intrinsicsFromHfov(640, 480, 90);
    // Starts 0.5 m ahead of base_link, so every point is in front of the lens; the floor is in view from
    // d = f·h / (H/2) = 320 / 240 m on.
    const path = trajectoryFromPlanMsg(planMsg({ stampNs: STAMP, dx_m: 0.25 }));
    const ahead = { ...path, waypoints: path.waypoints.map((w) => ({ ...w, x_m: w.x_m + 0.5 })) };
    const msg = pathImageAnnotations(ahead, { mount, intrinsics }, { samplesPerStep: 1 });
    assert.deepEqual(msg.timestamp, { sec: 1_700_000_010, nanosec: 250_000_000 });
    assert.equal(msg.points.length, 1);
    const strip = msg.points[0]!;
    // Entry on the bottom border, then the waypoints at d = 1.5 … 2.5 m.
    assert.equal(strip.points.length, 6);
    strip.points.forEach((p) => closeTo(p.x, 320, 1e-9, 'u'));
    closeTo(strip.points[0]!.y, 480, 1e-9, 'enters at the bottom edge');
    closeTo(strip.points[1]!.y, 240 + 320 / 1.5, 1e-9, 'v at 1.5 m');
    closeTo(strip.points[5]!.y, 240 + 320 / 2.5, 1e-9, 'v farthest');
    // The entry point's time, interpolated along the image segment between the waypoints at 1.25 and 1.5 m
    // (t = 3/8 and 4/8, rows 496 and 453.3): colours blend in the image, as Foxglove draws them.
    const entryT = (3 + (496 - 480) / (496 - (240 + 320 / 1.5))) / 8;
    const entry = timeColor(entryT);
    closeTo(strip.outline_colors[0]!.r, entry.r, 1e-9, 'entry colour r');
    closeTo(strip.outline_colors[0]!.g, entry.g, 1e-9, 'entry colour g');
    assert.equal(strip.outline_colors.length, 6);
    assert.equal(msg.circles.length, 5, 'dots only for the waypoints in view');
    assert.equal(msg.texts[0]!.text, 'plan 0: 2.00 m in 2.0 s');
    assert.deepEqual(roundTrip(FoxgloveTypes.ImageAnnotations, msg), msg);
  });

  it('cuts the path at the lens plane and the image border, e.g. the start under a forward-mounted camera', () => {
    const mount: CameraMount = {
      frameId: 'front_camera',
      height_m: 0.32,
      pitch_rad: 0,
      forward_m: 0.28,
      lateral_m: 0,
    };
    const intrinsics = intrinsicsFromHfov(640, 480, 90);
    const msg = pathImageAnnotations(forward, { mount, intrinsics }, { samplesPerStep: 1, label: false });
    // The floor is in view from 0.32·320/240 m ahead of the lens (x = 0.7067 m): the strip runs from the
    // bottom edge there to the last waypoint at 0.8 m.
    assert.equal(msg.points.length, 1);
    const strip = msg.points[0]!;
    assert.equal(strip.points.length, 2);
    closeTo(strip.points[0]!.y, 480, 1e-9, 'bottom edge');
    closeTo(strip.points[1]!.y, 240 + (320 * 0.32) / 0.52, 1e-9, 'last waypoint');
    assert.equal(msg.circles.length, 1);
    assert.deepEqual(msg.texts, []);
  });

  it('draws a 2 m arc of a moving plan inside the demo camera image (1280×720, K from its CameraInfo, default mount)', () => {
    const demo = defaultConfig().camera;
    const intrinsics = intrinsicsFromCameraInfo({
      width: 1280,
      height: 720,
      k: [640, 0, 640, 0, 640, 360, 0, 0, 1],
    });
    const mount = cameraMountFromConfig(demo);
    // 8 steps of 0.25 m turning 0.1 rad each: a 2 m arc to the left.
    const arc = trajectoryFromPlanMsg(planMsg({ stampNs: STAMP, dx_m: 0.25, dtheta_rad: 0.1 }));
    const msg = pathImageAnnotations(arc, { mount, intrinsics });
    const points = msg.points.flatMap((p) => p.points);
    assert.ok(points.length >= 10, `${points.length} points drawn`);
    for (const p of points) {
      assert.ok(p.x >= 0 && p.x <= 1280 && p.y >= 0 && p.y <= 720, `(${p.x}, ${p.y}) outside the image`);
    }
    // It bends left (smaller u) as it recedes (smaller v).
    const first = points[0]!;
    const last = points[points.length - 1]!;
    assert.ok(
      last.y < first.y - 50 && last.x < first.x - 20,
      `from (${first.x}, ${first.y}) to (${last.x}, ${last.y})`,
    );
    assert.ok(msg.circles.length >= 4);
    assert.match(msg.texts[0]!.text, /2\.00 m in 2\.0 s$/);
  });

  it('says when a plan that hardly moves is not in view, and draws no line for it', () => {
    const intrinsics = intrinsicsFromCameraInfo({
      width: 1280,
      height: 720,
      k: [640, 0, 640, 0, 640, 360, 0, 0, 1],
    });
    const still = trajectoryFromPlanMsg(planMsg({ stampNs: STAMP, sequence: 3, dx_m: 0.01 }));
    const msg = pathImageAnnotations(still, {
      mount: cameraMountFromConfig(defaultConfig().camera),
      intrinsics,
    });
    assert.deepEqual(msg.points, []);
    assert.deepEqual(msg.circles, []);
    assert.equal(msg.texts[0]!.text, 'plan 3: 0.08 m in 2.0 s (not in view)');
  });
});
