import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { WebSocket } from 'ws';
import { CdrCodec } from '../../src/bag/codec';
import { generateDemoBag } from '../../src/bag/demo-bag';
import { openBag } from '../../src/bag/reader';
import { defaultConfig, loadConfigFile, parseConfig, type SvnavConfig } from '../../src/config';
import type { Planner } from '../../src/planner/planner';
import { replayCodec } from '../../src/replay/recorder';
import { runReplay } from '../../src/replay/replay';
import { FoxgloveLiveServer, latchedTopicsFor } from '../../src/viz/live-server';
import { tempDir } from '../bag/helpers';
import { loadTinyPlanner, tinyModelDir } from '../support/tiny-model';
import { RosTypes } from '../../src/messages/ros';
import { VIZ_TOPICS, VIZ_TOPIC_TYPES } from '../../src/viz/topics';

const ROOT = join(__dirname, '..', '..');
const LAYOUT_PATH = join(ROOT, 'foxglove', 'sparse_video_nav.layout.json');

interface PanelConfig {
  foxglovePanelTitle?: string;
  lichtblickPanelTitle?: string;
  title?: string;
  legendDisplay?: string;
  followMode?: string;
  imageMode?: { imageTopic?: string; annotations?: Record<string, unknown> };
  topics?: Record<string, { visible?: boolean; type?: string }>;
  paths?: { value: string; enabled?: boolean }[];
  topicPath?: string;
  followTf?: string;
}
interface Layout {
  configById: Record<string, PanelConfig>;
  layout: unknown;
}

/** Every topic the package publishes or subscribes with its default configuration, with its type. */
function defaultTopicTypes(): Map<string, string> {
  const c = defaultConfig();
  return new Map<string, string>([
    [c.camera.topic, c.camera.type],
    [c.camera.relay_topic, RosTypes.CompressedImage],
    [c.planner.instruction_topic, RosTypes.String],
    [c.planner.plan_topic, RosTypes.Plan],
    [c.planner.path_topic, RosTypes.Path],
    [c.planner.future_topic, RosTypes.CompressedImage],
    [c.planner.status_topic, RosTypes.PlannerStatus],
    [c.planner.heartbeat_topic, RosTypes.PlannerHeartbeat],
    [c.planner.command_topic, RosTypes.String],
    [c.controller.cmd_vel_topic, RosTypes.Twist],
    [c.controller.odom_topic, RosTypes.Odometry],
    [c.controller.status_topic, RosTypes.String],
    [c.safety.estop_topic, RosTypes.Bool],
    [c.safety.sport_request_topic, RosTypes.UnitreeRequest],
    // The robot's (and the demo bag's) TF tree: the 3D panel takes odom→base_link from it.
    ['/tf', RosTypes.TFMessage],
    ...Object.entries(VIZ_TOPIC_TYPES),
  ]);
}

function panelIds(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  const n = node as { first: unknown; second: unknown };
  return [...panelIds(n.first), ...panelIds(n.second)];
}

/** Topics named by a panel, and the message paths (topic.field…) it plots or shows. */
function namedTopics(config: PanelConfig): { topics: string[]; paths: string[] } {
  const topics: string[] = [];
  const paths: string[] = [];
  if (config.imageMode?.imageTopic) topics.push(config.imageMode.imageTopic);
  topics.push(...Object.keys(config.imageMode?.annotations ?? {}));
  topics.push(...Object.keys(config.topics ?? {}));
  for (const p of config.paths ?? []) paths.push(p.value);
  if (config.topicPath) paths.push(config.topicPath);
  for (const p of paths) topics.push(p.split('.')[0]!);
  return { topics, paths };
}

/** Resolves `field.sub…` in a ROS type's definition; returns the leaf's type or throws naming the bad field. */
function resolveField(codec: CdrCodec, type: string, fields: string[]): string {
  const defs = parse(codec.schemaOf(type), { ros2: true });
  let current = defs[0]!;
  let leaf = type;
  for (const name of fields) {
    const field = current.definitions.find((f) => f.name === name && !f.isConstant);
    if (!field) throw new Error(`${type} has no field '${fields.join('.')}' (stuck at '${name}')`);
    leaf = field.type;
    if (field.isComplex) {
      const next = defs.find((d) => d.name === field.type);
      if (!next) throw new Error(`no definition of ${field.type} in ${type}`);
      current = next;
    }
  }
  return leaf;
}

describe('Foxglove layout', () => {
  const layout = JSON.parse(readFileSync(LAYOUT_PATH, 'utf8')) as Layout;
  const known = defaultTopicTypes();

  it('is valid JSON whose layout tree shows exactly the configured panels', () => {
    assert.deepEqual(panelIds(layout.layout).sort(), Object.keys(layout.configById).sort());
    const kinds = Object.keys(layout.configById).map((id) => id.split('!')[0]);
    for (const kind of ['Image', '3D', 'Plot', 'RawMessages'])
      assert.ok(kinds.includes(kind), `no ${kind} panel`);
  });

  it('names only topics the package publishes or subscribes by default', () => {
    for (const [id, config] of Object.entries(layout.configById)) {
      for (const topic of namedTopics(config).topics) {
        assert.ok(
          known.has(topic),
          `panel ${id} names ${topic}, which the package neither publishes nor subscribes`,
        );
      }
    }
  });

  it('plots only fields that exist in the topics’ message definitions, and numbers where it plots', () => {
    const codec = new CdrCodec();
    let resolved = 0;
    for (const [id, config] of Object.entries(layout.configById)) {
      for (const path of namedTopics(config).paths) {
        const [topic, ...fields] = path.split('.');
        const leaf = resolveField(codec, known.get(topic!)!, fields);
        if (id.startsWith('Plot!'))
          assert.match(leaf, /^(float|int|uint)(32|64|8|16)$/, `${id} plots ${path} of type ${leaf}`);
        resolved++;
      }
    }
    assert.ok(resolved >= 12, `only ${resolved} message paths checked`);
    assert.throws(() => resolveField(codec, RosTypes.Twist, ['linear', 'w']), /no field 'linear\.w'/);
  });

  it('shows the planned path on the compressed camera topic every source carries, and the imagined future', () => {
    const cfg = Object.values(layout.configById);
    const d = defaultConfig();
    // Replays and the demo carry the compressed stream; on the robot the camera relay publishes it too.
    const camera = cfg.find((c) => c.imageMode?.imageTopic === d.camera.relay_topic);
    assert.equal(d.camera.relay_topic, '/camera/image_raw/compressed');
    assert.ok(
      camera?.imageMode?.annotations?.[VIZ_TOPICS.pathAnnotations],
      'camera panel without the path annotations',
    );
    assert.ok(cfg.some((c) => c.imageMode?.imageTopic === d.planner.future_topic));
  });

  it('follows the robot in 3D and draws the path as lines, not a triad of axes per pose', () => {
    const threeD = layout.configById[Object.keys(layout.configById).find((k) => k.startsWith('3D!'))!]!;
    assert.equal(threeD.followTf, defaultConfig().planner.base_frame_id);
    assert.equal(threeD.followMode, 'follow-position');
    assert.equal(threeD.topics?.[VIZ_TOPICS.pathScene]?.visible, true);
    assert.notEqual(threeD.topics?.[VIZ_TOPICS.pathPoses]?.visible, true, 'PosesInFrame draws axes');
    assert.deepEqual(threeD.topics?.[defaultConfig().planner.path_topic], {
      visible: true,
      type: 'line',
      lineWidth: 0.02,
      gradient: ['#ffffff99', '#ffffff99'],
    });
  });

  it('titles every panel under both Foxglove’s and Lichtblick’s key, and keeps plot legends off the data', () => {
    for (const [id, config] of Object.entries(layout.configById)) {
      assert.ok(
        config.foxglovePanelTitle && config.foxglovePanelTitle.length > 3,
        `${id} has no foxglovePanelTitle`,
      );
      assert.equal(config.lichtblickPanelTitle, config.foxglovePanelTitle, id);
      assert.equal(config.title, undefined, `${id}: 'title' is read by neither app`);
      if (id.startsWith('Plot!'))
        assert.notEqual(config.legendDisplay, 'floating', `${id} legend floats over the data`);
    }
    const velocity = layout.configById['Plot!svnav-linear']!.foxglovePanelTitle!;
    assert.match(velocity, /recorded odom, not driven by these commands/);
  });

  it('matches the Go2 configuration’s topics as well as the defaults', () => {
    const go2 = loadConfigFile(join(ROOT, 'config', 'go2.yaml'));
    const d = defaultConfig();
    for (const [a, b] of [
      [go2.camera.topic, d.camera.topic],
      [go2.controller.cmd_vel_topic, d.controller.cmd_vel_topic],
      [go2.controller.odom_topic, d.controller.odom_topic],
      [go2.planner.status_topic, d.planner.status_topic],
      [go2.planner.future_topic, d.planner.future_topic],
    ]) {
      assert.equal(a, b);
    }
  });
});

/** Every floating-point-capable number in a decoded message, with its path. */
function numbers(value: unknown, at = ''): [string, number][] {
  if (typeof value === 'number') return [[at, value]];
  // Only float arrays can hold subnormals; image bytes are skipped.
  if (value instanceof Float32Array || value instanceof Float64Array) {
    return Array.from(value, (v, i) => [`${at}[${i}]`, v]);
  }
  if (ArrayBuffer.isView(value)) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbers(v, `${at}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => numbers(v, at ? `${at}.${k}` : k));
  }
  return [];
}

describe('Foxglove layout against the demo: its replay MCAP and the live server', function () {
  this.timeout(120_000);
  const layout = JSON.parse(readFileSync(LAYOUT_PATH, 'utf8')) as Layout;
  const known = defaultTopicTypes();
  const referenced = [
    ...new Set(Object.values(layout.configById).flatMap((config) => namedTopics(config).topics)),
  ];
  let tmp: ReturnType<typeof tempDir>;
  let planner: Planner;
  let live: FoxgloveLiveServer;
  let config: SvnavConfig;
  const output = () => join(tmp.dir, 'replay.mcap');

  before(async () => {
    tmp = tempDir('layout-demo');
    const input = join(tmp.dir, 'demo.mcap');
    await generateDemoBag(input, { duration_s: 4 });
    const base = parseConfig({
      model: { dir: await tinyModelDir(), execution_providers: ['cpu'], allow_untrained: true },
    });
    // As `svnav demo` runs it: untrained plans barely move, arrival detection would end the episode.
    config = { ...base, safety: { ...base.safety, arrival_consecutive_plans: 1_000_000 } };
    planner = await loadTinyPlanner();
    live = await FoxgloveLiveServer.start({
      port: 0,
      codec: replayCodec(),
      latchedTopics: latchedTopicsFor(config),
    });
    await runReplay({ input, output: output(), instruction: 'walk to the chair', config, planner, live });
  });
  after(async () => {
    await live?.close();
    await planner?.close();
    tmp?.cleanup();
  });

  it('finds every topic the layout names in the replay MCAP, with the type the layout expects', async () => {
    const reader = await openBag(output());
    try {
      const topics = new Map(reader.topics().map((t) => [t.name, t]));
      for (const topic of referenced) {
        const t = topics.get(topic);
        assert.ok(t, `${topic} is not in the demo replay (has ${[...topics.keys()].join(', ')})`);
        assert.equal(t.type, known.get(topic), topic);
        assert.equal(t.schemaEncoding, 'ros2msg');
        assert.ok(t.count > 0, `${topic} has no messages`);
      }
    } finally {
      await reader.close();
    }
  });

  it('serves every topic of the MCAP live, and a viewer that connects afterwards gets status, plan and future at once', async () => {
    const ws = new WebSocket(live.url, ['foxglove.websocket.v1']);
    const texts: Record<string, unknown>[] = [];
    const data: number[] = [];
    ws.on('message', (m, binary) => {
      if (!binary) texts.push(JSON.parse(String(m)) as Record<string, unknown>);
      else if ((m as Buffer)[0] === 1) data.push((m as Buffer).readUInt32LE(1));
    });
    try {
      const deadline = Date.now() + 5000;
      while (!texts.some((t) => t.op === 'advertise')) {
        assert.ok(Date.now() < deadline, 'no advertise');
        await new Promise((r) => setTimeout(r, 20));
      }
      const channels = (
        texts.find((t) => t.op === 'advertise')!.channels as {
          id: number;
          topic: string;
          schemaName: string;
          encoding: string;
        }[]
      ).map((c) => [c.topic, c] as const);
      const served = new Map(channels);
      const reader = await openBag(output());
      const inBag = reader.topics();
      await reader.close();
      for (const t of inBag) {
        assert.equal(served.get(t.name)?.schemaName, t.type, `${t.name} not served live as ${t.type}`);
        assert.equal(served.get(t.name)?.encoding, 'cdr');
      }
      for (const topic of referenced) assert.ok(served.has(topic), `${topic} not served live`);
      const p = config.planner;
      const wanted = [p.status_topic, p.plan_topic, p.future_topic];
      ws.send(
        JSON.stringify({
          op: 'subscribe',
          subscriptions: wanted.map((topic, i) => ({ id: 100 + i, channelId: served.get(topic)!.id })),
        }),
      );
      while (data.length < 3) {
        assert.ok(Date.now() < deadline, `only subscriptions ${data.join(', ')} answered`);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual([...data].sort(), [100, 101, 102]);
    } finally {
      ws.terminate();
    }
  });

  it('publishes no subnormal number in any message of the replay', async () => {
    const reader = await openBag(output());
    const bad: string[] = [];
    let checked = 0;
    try {
      for await (const m of reader.messages()) {
        for (const [at, v] of numbers(m.message)) {
          checked++;
          if (v !== 0 && Math.abs(v) < 2.2250738585072014e-308) bad.push(`${m.topic} ${at} = ${v}`);
        }
      }
    } finally {
      await reader.close();
    }
    assert.ok(checked > 10_000, `${checked} numbers`);
    assert.deepEqual(bad.slice(0, 5), []);
  });
});
