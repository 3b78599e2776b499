import { strict as assert } from 'node:assert';
import { onTerminationRequest, TERMINATION_SIGNALS } from '../../src/transport/ros/termination';

describe('termination requests of a node process', () => {
  it('fires once when the parent process changes (the launch died and the node was re-parented)', async () => {
    let parent = 1234;
    const reasons: string[] = [];
    const remove = onTerminationRequest((r) => reasons.push(r), { parentPid: () => parent, parentPollMs: 5 });
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(reasons, []);
    parent = 1;
    await new Promise((r) => setTimeout(r, 30));
    parent = 77;
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(reasons, ['parent process 1234 exited']);
    remove();
  });

  it('fires on SIGTERM (and the other termination signals) and removes its listeners', () => {
    const before = TERMINATION_SIGNALS.map((s) => process.listenerCount(s));
    const reasons: string[] = [];
    onTerminationRequest((r) => reasons.push(r), { parentPid: () => 1 });
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGHUP', 'SIGHUP');
    assert.deepEqual(reasons, ['SIGTERM']);
    assert.deepEqual(
      TERMINATION_SIGNALS.map((s) => process.listenerCount(s)),
      before,
    );
  });
});
