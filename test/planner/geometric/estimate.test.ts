import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEMO_TOPICS, generateDemoBag } from '../../../src/bag/demo-bag';
import {
  cameraModel,
  estimateMotionPlan,
  estimateMotionPlanWith,
  GeometricInputError,
  loadOpenCv,
  type GeometricEstimate,
  type ImageFrame,
  type MotionStep,
  type OpenCv,
} from '../../../src/planner/actions/geometric';
import { seededRandom } from '../../../src/bag/demo/render';
import { bagWindow, FIXTURE_BAGS } from './bags';
import { demoCamera, MOUNT, renderScene, SIZE } from './scenes';

const DEG = 180 / Math.PI;

/** Per-step errors against the truth: heading (deg), direction of travel (deg) and distance (%) where it moved. */
function errors(steps: readonly MotionStep[], truth: readonly MotionStep[]) {
  const heading = steps.map((s, i) => Math.abs(s[2] - truth[i]![2]) * DEG);
  const moving = steps
    .map((s, i) => [s, truth[i]!] as const)
    .filter(([, t]) => Math.hypot(t[0], t[1]) > 0.03);
  const direction = moving.map(([s, t]) => {
    const d = Math.atan2(s[1], s[0]) - Math.atan2(t[1], t[0]);
    return Math.abs(Math.atan2(Math.sin(d), Math.cos(d))) * DEG;
  });
  const distance = moving.map(
    ([s, t]) => (100 * Math.abs(Math.hypot(s[0], s[1]) - Math.hypot(t[0], t[1]))) / Math.hypot(t[0], t[1]),
  );
  const still = steps
    .map((s, i) => [s, truth[i]!] as const)
    .filter(([, t]) => Math.hypot(t[0], t[1]) <= 0.03)
    .map(([s, t]) => Math.hypot(s[0] - t[0], s[1] - t[1]));
  const length = (s: readonly MotionStep[]) => s.reduce((a, [x, y]) => a + Math.hypot(x, y), 0);
  const turn = (s: readonly MotionStep[]) => s.reduce((a, [, , t]) => a + t, 0);
  const e = {
    heading: Math.max(...heading),
    direction: Math.max(0, ...direction),
    distance: Math.max(0, ...distance),
    still: Math.max(0, ...still),
    /** Over the whole 2 s: path length (% of a path longer than 0.24 m) and total turn (deg). */
    length2s: length(truth) > 0.24 ? (100 * Math.abs(length(steps) - length(truth))) / length(truth) : 0,
    turn2s: Math.abs(turn(steps) - turn(truth)) * DEG,
  };
  if (process.env.SVNAV_GEOMETRIC_REPORT)
    console.log(
      '      ',
      JSON.stringify(e, (_, v: unknown) => (typeof v === 'number' ? +v.toFixed(2) : v)),
    );
  return e;
}

/** A frame of uniform noise, box-blurred `radius` pixels across and down, stretched over colours. */
function noiseFrame(rand: () => number, radius: number): ImageFrame {
  let grey = Float32Array.from({ length: SIZE * SIZE }, rand);
  for (const [dx, dy] of radius > 0
    ? [
        [1, 0],
        [0, SIZE],
      ]
    : []) {
    const out = new Float32Array(grey.length);
    for (let i = 0; i < grey.length; i++) {
      let sum = 0;
      for (let d = -radius; d <= radius; d++) sum += grey[(i + d * (dx! + dy!) + grey.length) % grey.length]!;
      out[i] = sum / (2 * radius + 1);
    }
    grey = out;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of grey) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  grey.forEach((v, i) => {
    const b = (255 * (v - lo)) / (hi - lo);
    rgb.set([b, 255 - b, b / 2], 3 * i);
  });
  return { rgb, width: SIZE, height: SIZE };
}

/** Every number a result carries is finite or a documented sentinel: a plan or a reason, never NaN. */
function assertNoNaN(result: GeometricEstimate): void {
  const text = JSON.stringify(result);
  assert.ok(!text.includes('null'), `a non-finite number in ${text.slice(0, 300)}`);
}

function plan(result: GeometricEstimate): readonly MotionStep[] {
  assert.equal(result.kind, 'plan', result.kind === 'no_plan' ? result.reason : '');
  assertNoNaN(result);
  return result.kind === 'plan' ? result.steps : [];
}

describe('geometric action source: frames of the demo world with known motion', function () {
  this.timeout(120_000);
  let cv: OpenCv;
  before(async () => {
    cv = (await loadOpenCv()).cv;
  });

  const trajectories: [string, { vx_mps: number; vy_mps: number; wz_radps: number }[]][] = [
    ['straight ahead at 0.5 m/s', [{ vx_mps: 0.5, vy_mps: 0, wz_radps: 0 }]],
    ['turning left in place at 0.5 rad/s', [{ vx_mps: 0, vy_mps: 0, wz_radps: 0.5 }]],
    ['turning right in place at 0.5 rad/s', [{ vx_mps: 0, vy_mps: 0, wz_radps: -0.5 }]],
    ['an arc to the left (0.4 m/s, 0.4 rad/s)', [{ vx_mps: 0.4, vy_mps: 0, wz_radps: 0.4 }]],
    ['an arc to the right (0.35 m/s, −0.3 rad/s)', [{ vx_mps: 0.35, vy_mps: 0, wz_radps: -0.3 }]],
    ['sideways to the left at 0.3 m/s', [{ vx_mps: 0, vy_mps: 0.3, wz_radps: 0 }]],
    ['sideways to the right while creeping forward', [{ vx_mps: 0.1, vy_mps: -0.25, wz_radps: 0 }]],
    [
      'accelerating from 0.2 to 0.6 m/s',
      Array.from({ length: 8 }, (_, i) => ({ vx_mps: 0.2 + (0.4 * i) / 7, vy_mps: 0, wz_radps: 0 })),
    ],
  ];
  for (const [name, twists] of trajectories) {
    it(`recovers the 8-step motion of ${name}`, async () => {
      const scene = await renderScene(twists);
      const result = estimateMotionPlanWith(cv, scene.frames, demoCamera());
      const e = errors(plan(result), scene.truth);
      assert.ok(e.heading <= 0.5, `heading error ${e.heading.toFixed(2)}° per step`);
      assert.ok(e.direction <= 8, `direction error ${e.direction.toFixed(1)}°`);
      assert.ok(e.distance <= 15, `distance error ${e.distance.toFixed(1)} % per step`);
      assert.ok(e.still <= 0.01, `translation ${e.still.toFixed(3)} m while turning in place`);
      assert.ok(e.length2s <= 6, `2 s path length off by ${e.length2s.toFixed(1)} %`);
      assert.ok(e.turn2s <= 1, `2 s turn off by ${e.turn2s.toFixed(2)}°`);
      assert.ok(result.confidence.score > 0 && result.confidence.minInliers >= 15);
    });
  }

  it('gives the same plan from the configured field of view when no CameraInfo is known', async () => {
    const scene = await renderScene([{ vx_mps: 0.4, vy_mps: 0, wz_radps: 0.4 }]);
    const fov = cameraModel({
      hfov_deg: 90,
      sourceWidth_px: 640,
      sourceHeight_px: 360,
      mount: MOUNT,
      size_px: SIZE,
    });
    const e = errors(plan(estimateMotionPlanWith(cv, scene.frames, fov)), scene.truth);
    assert.ok(e.heading <= 0.5 && e.distance <= 15 && e.direction <= 8 && e.length2s <= 6, JSON.stringify(e));
  });

  it('reads metric scale from the mount height: a camera told it sits twice as high sees twice the motion', async () => {
    const scene = await renderScene([{ vx_mps: 0.5, vy_mps: 0, wz_radps: 0 }]);
    const high = demoCamera({ ...MOUNT, height_m: 2 * MOUNT.height_m });
    const steps = plan(estimateMotionPlanWith(cv, scene.frames, high));
    const total = steps.reduce((s, [x]) => s + x, 0);
    assert.ok(Math.abs(total / 2 - 1.0) < 0.1, `total ${total.toFixed(3)} m, expected about 2 × 1.0 m`);
  });

  it('reports the scale check against odometry, and refuses a plan that fails it when told to', async () => {
    const scene = await renderScene([{ vx_mps: 0.5, vy_mps: 0, wz_radps: 0 }]);
    const agree = estimateMotionPlanWith(cv, scene.frames, demoCamera(), {
      odometry: { vx_mps: 0.5, vy_mps: 0 },
    });
    assert.equal(agree.confidence.odometry?.consistent, true);
    const fast = { vx_mps: 1.5, vy_mps: 0 };
    const flagged = estimateMotionPlanWith(cv, scene.frames, demoCamera(), { odometry: fast });
    assert.equal(flagged.kind, 'plan');
    assert.equal(flagged.confidence.odometry?.consistent, false);
    const refused = estimateMotionPlanWith(cv, scene.frames, demoCamera(), {
      odometry: fast,
      requireOdometryAgreement: true,
    });
    assert.equal(refused.kind, 'no_plan');
    assert.match(refused.kind === 'no_plan' ? refused.reason : '', /disagrees with odometry's 1.50 m\/s/);
  });

  it('states its cost per plan (9 frames at 256×256)', async () => {
    const scene = await renderScene([{ vx_mps: 0.5, vy_mps: 0, wz_radps: 0.2 }]);
    const result = estimateMotionPlanWith(cv, scene.frames, demoCamera());
    assert.ok(result.costMs > 0 && result.costMs < 5000, `${result.costMs} ms`);
  });
});

describe('geometric action source: degenerate input never becomes a confident wrong motion', function () {
  this.timeout(60_000);
  let cv: OpenCv;
  let good: ImageFrame[];
  before(async () => {
    cv = (await loadOpenCv()).cv;
    good = (await renderScene([{ vx_mps: 0.5, vy_mps: 0, wz_radps: 0 }])).frames;
  });
  const filled = (f: (i: number) => number): ImageFrame => {
    const rgb = new Uint8Array(SIZE * SIZE * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = f(i);
    return { rgb, width: SIZE, height: SIZE };
  };
  const noPlan = (frames: ImageFrame[], reason: RegExp): void => {
    const result = estimateMotionPlanWith(cv, frames, demoCamera());
    assertNoNaN(result);
    assert.equal(result.kind, 'no_plan');
    assert.match(result.kind === 'no_plan' ? result.reason : '', reason);
    assert.equal(result.confidence.score, 0);
  };

  it('black frames: no plan, no floor features', () => {
    noPlan(
      Array.from({ length: 9 }, () => filled(() => 0)),
      /step 0 .*0 floor features tracked/,
    );
  });

  it('a textureless wall (a smooth gradient): no plan', () => {
    noPlan(
      Array.from({ length: 9 }, () => filled((i) => 90 + Math.floor(i / (SIZE * 3)) / 8)),
      /floor features tracked/,
    );
  });

  for (const blur of [0, 2]) {
    it(`random noise${blur ? ' blurred into blobs' : ''}, new in every frame (an untrained generator): no plan`, () => {
      for (const seed of [1, 2, 3]) {
        const rand = seededRandom(seed * 7919);
        noPlan(
          Array.from({ length: 9 }, () => noiseFrame(rand, blur)),
          /step 0/,
        );
      }
    });
  }

  it('one black frame among good ones: no plan naming the step it breaks', () => {
    const frames = good.slice();
    frames[5] = filled(() => 0);
    noPlan(frames, /^step 4 \(frame 4 → 5\)/);
  });

  it('a static scene (every frame identical): zero motion', () => {
    const steps = plan(
      estimateMotionPlanWith(
        cv,
        Array.from({ length: 9 }, () => good[0]!),
        demoCamera(),
      ),
    );
    for (const [x, y, t] of steps)
      assert.ok(Math.hypot(x, y) < 0.002 && Math.abs(t) < 0.001, `${x} ${y} ${t}`);
  });

  it('a frame identical to the previous one: a zero step there, the true motion elsewhere', () => {
    const frames = good.slice();
    frames[3] = frames[2]!;
    const steps = plan(estimateMotionPlanWith(cv, frames, demoCamera()));
    assert.ok(Math.hypot(steps[2]![0], steps[2]![1]) < 0.002, `step 2 moved ${steps[2]}`);
    assert.ok(Math.abs(steps[4]![0] - 0.125) < 0.02, `step 4 moved ${steps[4]}`);
  });

  it('a camera that sees no floor (pitched up): no plan saying so', () => {
    const up = demoCamera({ ...MOUNT, pitch_rad: -0.9 });
    const result = estimateMotionPlanWith(cv, good, up);
    assert.equal(result.kind, 'no_plan');
    assert.match(result.kind === 'no_plan' ? result.reason : '', /sees no floor within 5 m/);
  });

  it('frames that do not fit the camera model are an error naming the frame', () => {
    assert.throws(() => estimateMotionPlanWith(cv, good.slice(1), demoCamera()), GeometricInputError);
    const small = good.slice();
    small[7] = { rgb: new Uint8Array(64 * 64 * 3), width: 64, height: 64 };
    assert.throws(
      () => estimateMotionPlanWith(cv, small, demoCamera()),
      /frame 7 is 64×64, the camera model is 256×256/,
    );
  });
});

describe('geometric action source: recorded bags against their odometry', function () {
  this.timeout(120_000);
  let cv: OpenCv;
  let dir: string;
  let demoBag: string;
  before(async () => {
    cv = (await loadOpenCv()).cv;
    dir = mkdtempSync(path.join(tmpdir(), 'svnav-geometric-'));
    demoBag = path.join(dir, 'demo.mcap');
    // The demo bag: JPEG frames of the ray-cast world rendered from odometry, lens bobbing ±6 mm with the trot.
    await generateDemoBag(demoBag, { duration_s: 12, width: 640, height: 360, cameraRate_hz: 4, seed: 3 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const estimateWindow = async (file: string, topic: string, start_s: number) => {
    const w = await bagWindow({ file, topic, type: 'sensor_msgs/msg/CompressedImage' }, start_s);
    const camera = cameraModel({
      cameraInfo: w.cameraInfo,
      hfov_deg: 90,
      sourceWidth_px: w.cameraInfo.width,
      sourceHeight_px: w.cameraInfo.height,
      mount: MOUNT,
      size_px: SIZE,
    });
    return { w, result: estimateMotionPlanWith(cv, w.frames, camera, { odometry: w.velocity }) };
  };

  for (const [name, start] of [
    ['walking straight', 2.5],
    ['turning left through a corner', 9.5],
  ] as const) {
    it(`demo bag, ${name}: the 2 s plan matches odometry`, async () => {
      const { w, result } = await estimateWindow(demoBag, DEMO_TOPICS.image, start);
      const steps = plan(result);
      const e = errors(steps, w.truth);
      assert.ok(e.heading <= 1, `heading error ${e.heading.toFixed(2)}° per step`);
      assert.ok(e.direction <= 15, `direction error ${e.direction.toFixed(1)}°`);
      assert.ok(e.distance <= 30, `distance error ${e.distance.toFixed(1)} % per step`);
      assert.ok(e.length2s <= 6, `2 s path length off by ${e.length2s.toFixed(1)} %`);
      assert.ok(e.turn2s <= 2, `2 s turn off by ${e.turn2s.toFixed(2)}°`);
      assert.equal(result.confidence.odometry?.consistent, true);
    });
  }

  for (const bag of ['raw', 'compressed'] as const) {
    it(`fixture bag go2_${bag}: a drawn corridor on a flat floor gives no plan rather than a guess`, async () => {
      // The recorded corridor is a flat-shaded drawing whose floor has no texture and which does not turn while
      // odometry turns at 0.15 rad/s: nothing in it measures the motion, so the honest answer is "no plan".
      const spec = FIXTURE_BAGS[bag];
      const w = await bagWindow(spec, 0.5);
      const camera = cameraModel({
        cameraInfo: w.cameraInfo,
        hfov_deg: 90,
        sourceWidth_px: w.cameraInfo.width,
        sourceHeight_px: w.cameraInfo.height,
        mount: MOUNT,
        size_px: SIZE,
      });
      const result = estimateMotionPlanWith(cv, w.frames, camera, { odometry: w.velocity });
      assertNoNaN(result);
      assert.equal(result.kind, 'no_plan');
      assert.match(result.kind === 'no_plan' ? result.reason : '', /floor features tracked, fewer than 15/);
    });
  }
});

describe('geometric action source: inside the plan cycle', function () {
  this.timeout(60_000);

  it('hands the event loop back between steps and gives the same plan as the synchronous call', async () => {
    const scene = await renderScene([{ vx_mps: 0.4, vy_mps: 0, wz_radps: 0.3 }]);
    const { cv } = await loadOpenCv();
    const sync = estimateMotionPlanWith(cv, scene.frames, demoCamera());
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const pending = estimateMotionPlan(scene.frames, demoCamera());
    const result = await pending;
    clearInterval(timer);
    assert.ok(ticks >= 1, 'no timer ran while the estimate was under way');
    assert.deepEqual(plan(result), plan(sync));
  });
});
