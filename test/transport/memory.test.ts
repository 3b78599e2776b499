import { strict as assert } from 'node:assert';
import { InMemoryTransport, VirtualClock, WallClock } from '../../src/transport/memory';
import { Qos } from '../../src/transport/transport';

describe('in-memory transport', () => {
  it('fires intervals in time order at their due times as virtual time advances', () => {
    const clock = new VirtualClock(1_000n);
    const ticks: string[] = [];
    const a = clock.interval(50n).subscribe((t) => ticks.push(`a@${t}`));
    clock.interval(30n).subscribe((t) => ticks.push(`b@${t}`));
    clock.advanceBy(100n);
    assert.deepEqual(ticks, ['b@1030', 'a@1050', 'b@1060', 'b@1090', 'a@1100']);
    assert.equal(clock.now(), 1_100n);
    a.unsubscribe();
    clock.advanceBy(30n);
    assert.deepEqual(ticks.slice(5), ['b@1120']);
    assert.throws(() => clock.advanceTo(0n), /cannot go back/);
  });

  it('delivers to subscribers of the topic only and records what was published', () => {
    const t = new InMemoryTransport();
    const got: number[] = [];
    t.subscribe<{ data: number }>('/a', 'std_msgs/msg/Int32').subscribe((m) => got.push(m.data));
    t.inject('/a', 'std_msgs/msg/Int32', { data: 1 });
    t.inject('/b', 'std_msgs/msg/Int32', { data: 2 });
    assert.deepEqual(got, [1]);
    assert.equal(t.messagesOn('/b').length, 1);
  });

  it('replays the last latched message to a late transient-local subscriber, and not to a volatile one (as DDS)', () => {
    const t = new InMemoryTransport();
    const pub = t.createPublisher<{ data: boolean }>('/estop', 'std_msgs/msg/Bool', Qos.latched);
    pub.publish({ data: true });
    const latched: boolean[] = [];
    const volatile: boolean[] = [];
    t.subscribe<{ data: boolean }>('/estop', 'std_msgs/msg/Bool', Qos.latched).subscribe((m) =>
      latched.push(m.data),
    );
    t.subscribe<{ data: boolean }>('/estop', 'std_msgs/msg/Bool', Qos.commands).subscribe((m) =>
      volatile.push(m.data),
    );
    assert.deepEqual(latched, [true]);
    assert.deepEqual(volatile, []);
    pub.publish({ data: false });
    assert.deepEqual(latched, [true, false]);
    assert.deepEqual(volatile, [false]);
  });

  it('refuses to use one topic with two message types', () => {
    const t = new InMemoryTransport();
    t.subscribe('/x', 'std_msgs/msg/Bool');
    assert.throws(() => t.createPublisher('/x', 'std_msgs/msg/String'), /carries std_msgs\/msg\/Bool/);
  });

  describe('WallClock', () => {
    it('never goes backwards over 200 000 consecutive reads', () => {
      const clock = new WallClock();
      let previous = clock.now();
      let backwards = 0;
      for (let i = 0; i < 200_000; i++) {
        const t = clock.now();
        if (t < previous) backwards++;
        previous = t;
      }
      assert.equal(backwards, 0);
    });

    it('reads as Unix-epoch nanoseconds and follows the monotonic counter exactly', () => {
      let mono = 5_000n;
      const clock = new WallClock(1_700_000_000_000_000_000n, () => mono);
      assert.equal(clock.now(), 1_700_000_000_000_000_000n);
      mono += 1_234n;
      assert.equal(clock.now(), 1_700_000_000_000_001_234n);
      const real = new WallClock();
      const epochNs = BigInt(Date.now()) * 1_000_000n;
      assert.ok(real.now() - epochNs < 50_000_000n && epochNs - real.now() < 50_000_000n);
    });
  });
});
