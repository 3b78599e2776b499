import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { CdrCodec } from '../../src/bag/codec';
import { defaultConfig, loadConfigFile } from '../../src/config';
import { RosTypes } from '../../src/messages/ros';
import { VIZ_TOPICS, VIZ_TOPIC_TYPES } from '../../src/viz/topics';

const ROOT = join(__dirname, '..', '..');
const LAYOUT_PATH = join(ROOT, 'foxglove', 'sparse_video_nav.layout.json');

interface PanelConfig {
  imageMode?: { imageTopic?: string; annotations?: Record<string, unknown> };
  topics?: Record<string, { visible?: boolean }>;
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

  it('shows the planned path on the camera image, the imagined future, and the path in 3D with the odom frame fixed', () => {
    const cfg = Object.values(layout.configById);
    const camera = cfg.find((c) => c.imageMode?.imageTopic === defaultConfig().camera.topic);
    assert.ok(
      camera?.imageMode?.annotations?.[VIZ_TOPICS.pathAnnotations],
      'camera panel without the path annotations',
    );
    assert.ok(cfg.some((c) => c.imageMode?.imageTopic === defaultConfig().planner.future_topic));
    const threeD = layout.configById[Object.keys(layout.configById).find((k) => k.startsWith('3D!'))!]!;
    assert.equal(threeD.followTf, 'odom');
    assert.equal(threeD.topics?.[VIZ_TOPICS.pathScene]?.visible, true);
    assert.equal(threeD.topics?.[VIZ_TOPICS.pathPoses]?.visible, true);
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
