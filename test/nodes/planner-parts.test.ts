import { strict as assert } from 'node:assert';
import { parseConfig } from '../../src/config';
import type { PlanMsg } from '../../src/messages/ros';
import { PlannerNodeEntry } from '../../src/nodes/planner/entry';
import { arrivalFromControllerStatus, parseCommand, untrainedVerdict } from '../../src/nodes/planner/inputs';
import { OdometryBuffer } from '../../src/nodes/planner/odometry-buffer';
import { InMemoryTransport, VirtualClock } from '../../src/transport/memory';
import { cameraFrame, FRAMES_TO_FIRST_PLAN, MS, odometry, T0, tinyModelDir } from './planner-fixtures';

describe('planner node parts', () => {
  describe('OdometryBuffer', () => {
    it('gives the pose nearest a stamp within the allowed offset, and refuses bad odometry', () => {
      const b = new OdometryBuffer(2000n * MS);
      assert.equal(b.push(odometry(T0, 1, 0, 0)), undefined);
      assert.equal(b.push(odometry(T0 + 100n * MS, 2, 0, 0)), undefined);
      assert.match(b.push(odometry(T0 + 50n * MS, 3, 0, 0))!, /is not after the previous/);
      const nan = odometry(T0 + 200n * MS, NaN, 0, 0);
      assert.equal(b.push(nan), 'position.x is NaN');
      // A refused message leaves the newest accepted sample as it was.
      assert.equal(b.latest?.stampNs, T0 + 100n * MS);
      assert.equal(b.latest?.pose.ground.x_m, 2);
      assert.equal(b.nearest(T0 + 60n * MS, 50n * MS)?.ground.x_m, 2);
      assert.equal(b.nearest(T0 + 40n * MS, 50n * MS)?.ground.x_m, 1);
      assert.equal(b.nearest(T0 + 300n * MS, 50n * MS), undefined);
      b.push(odometry(T0 + 3000n * MS, 4, 0, 0)); // older samples fall out of the 2 s span
      assert.equal(b.nearest(T0, 10_000n * MS)?.ground.x_m, 4);
    });
  });

  describe('run-time inputs', () => {
    it('parses commands, ignoring case and spaces', () => {
      assert.deepEqual([' Start ', 'stop', 'CANCEL', 'go', 42].map(parseCommand), [
        'start',
        'stop',
        'cancel',
        undefined,
        undefined,
      ]);
    });

    it('reads an arrival from the controller status JSON and nothing from other statuses', () => {
      const arrived = JSON.stringify({
        state: 'stopping',
        stop_reason: { kind: 'arrived', episode_id: 'ep3-9', consecutive_plans: 3 },
        stop_message: 'arrived (episode "ep3-9", 3 plans without motion)',
      });
      assert.deepEqual(arrivalFromControllerStatus(arrived), {
        episodeId: 'ep3-9',
        detail: 'controller: arrived (episode "ep3-9", 3 plans without motion)',
      });
      const moving = JSON.stringify({ state: 'moving', stop_reason: null, stop_message: null });
      assert.equal(arrivalFromControllerStatus(moving), undefined);
      assert.deepEqual(arrivalFromControllerStatus('moving'), {
        error: 'controller status is not JSON: "moving"',
      });
    });

    it('refuses an untrained model naming its seeded networks, or warns when allowed', () => {
      const provenance = {
        untrained: true,
        actionHeadTrained: false,
        seededNetworks: ['dit_step' as const],
        partiallySeeded: [{ network: 'vae_encoder' as const, parameters: 4 }],
      };
      const refused = untrainedVerdict(provenance, 'models/x', false);
      assert.ok(refused && 'refusal' in refused);
      assert.match(
        refused.refusal,
        /^REFUSING TO PLAN: model models\/x is untrained \(seeded weights in dit_step, vae_encoder \(4 seeded parameters\)\)/,
      );
      const allowed = untrainedVerdict(provenance, 'models/x', true);
      assert.ok(allowed && 'warning' in allowed);
      assert.equal(
        untrainedVerdict(
          { untrained: false, actionHeadTrained: false, seededNetworks: [], partiallySeeded: [] },
          'm',
          false,
        ),
        undefined,
      );
    });
  });

  describe('PlannerNodeEntry (the `svnav node planner` entry point)', function () {
    this.timeout(60_000);

    it('loads the model from the config, runs the node, and closes the planner on stop', async () => {
      const clock = new VirtualClock(T0);
      const transport = new InMemoryTransport(clock);
      const config = parseConfig({
        model: { dir: await tinyModelDir(), execution_providers: ['cpu'], allow_untrained: true },
        planner: { instruction: 'walk to the door' },
      });
      const entry = new PlannerNodeEntry(transport, config);
      entry.start();
      await entry.ready;
      assert.ok(entry.node);
      // The first plan needs 12 frames at 4 FPS (3 chunks: the release's 2 reference + 1 history chunk).
      for (let i = 0n; i < BigInt(FRAMES_TO_FIRST_PLAN); i++) {
        clock.advanceTo(T0 + i * 250n * MS);
        transport.inject(config.camera.topic, config.camera.type, cameraFrame(clock.now()));
        await entry.node.idle();
      }
      assert.equal(transport.messagesOn<PlanMsg>(config.planner.plan_topic).length, 1);
      await entry.stop('test');
      assert.equal(entry.node.episode.state, 'cancelled');
    });

    it('logs an error naming the model directory when it cannot load, and starts nothing', async () => {
      const errors: string[] = [];
      const log = { debug: () => {}, info: () => {}, warn: () => {}, error: (m: string) => errors.push(m) };
      const transport = new InMemoryTransport(new VirtualClock(T0), log);
      const entry = new PlannerNodeEntry(transport, parseConfig({ model: { dir: '/nonexistent/model' } }));
      entry.start();
      await entry.ready;
      assert.equal(entry.node, undefined);
      assert.match(errors[0]!, /^planner: cannot load the model \/nonexistent\/model: /);
      assert.equal(transport.published.length, 0, 'no heartbeat: the controller holds the robot');
      await entry.stop();
    });
  });
});
