import { strict as assert } from 'node:assert';
import {
  describeEpisode,
  episodeId,
  episodeStep,
  INITIAL_EPISODE,
  type Episode,
  type EpisodeEvent,
} from '../../src/nodes/planner/episode';

const S = 1_000_000_000n;
const params = { maxFailedPlans: 3 };

function run(events: EpisodeEvent[], from: Episode = INITIAL_EPISODE) {
  let episode = from;
  const steps = events.map((e) => {
    const step = episodeStep(episode, e, params);
    episode = step.episode;
    return step;
  });
  return { episode, steps };
}

const start = (t_s: number, instruction = 'walk to the door'): EpisodeEvent => ({
  kind: 'start',
  timeNs: BigInt(t_s) * S,
  instruction,
});
const error = (t_s: number): EpisodeEvent => ({
  kind: 'no_plan',
  timeNs: BigInt(t_s) * S,
  noPlan: { kind: 'inference_error', reason: 'dit_step: worker died' },
});

describe('episode state machine', () => {
  it('starts idle and begins navigating on an instruction, with a fresh id that carries the start time', () => {
    const { episode, steps } = run([start(12, '  walk to the door ')]);
    assert.deepEqual(
      steps.map((s) => [s.started, s.ended]),
      [[true, false]],
    );
    assert.deepEqual(
      {
        id: episode.id,
        state: episode.state,
        instruction: episode.instruction,
        startedNs: episode.startedNs,
      },
      { id: 'ep1-12000', state: 'navigating', instruction: 'walk to the door', startedNs: 12n * S },
    );
  });

  it('refuses to start without an instruction and stays idle', () => {
    const { episode, steps } = run([start(1, '   ')]);
    assert.equal(episode, INITIAL_EPISODE);
    assert.match(steps[0]!.ignored!, /no instruction/);
  });

  it('ends in arrived when the controller reports arrival of this episode, not of another one', () => {
    const { episode, steps } = run([
      start(1),
      { kind: 'arrived', timeNs: 5n * S, episodeId: 'ep0-1', detail: 'old' },
      { kind: 'arrived', timeNs: 6n * S, episodeId: 'ep1-1000', detail: 'arrived (3 plans without motion)' },
    ]);
    assert.match(steps[1]!.ignored!, /arrival of episode "ep0-1" ignored: the current one is "ep1-1000"/);
    assert.equal(steps[2]!.ended, true);
    assert.deepEqual(
      [episode.state, episode.reason, episode.endedNs],
      ['arrived', 'arrived (3 plans without motion)', 6n * S],
    );
  });

  it('ends in cancelled or stuck, and ignores those events once it has ended', () => {
    const cancelled = run([start(1), { kind: 'cancel', timeNs: 2n * S, reason: 'command "cancel"' }]);
    assert.deepEqual([cancelled.episode.state, cancelled.episode.reason], ['cancelled', 'command "cancel"']);
    const stuck = run([start(1), { kind: 'stuck', timeNs: 9n * S, detail: 'turning in place' }]);
    assert.equal(stuck.episode.state, 'stuck');
    const after = run(
      [
        { kind: 'cancel', timeNs: 10n * S, reason: 'x' },
        { kind: 'stuck', timeNs: 10n * S, detail: 'y' },
      ],
      stuck.episode,
    );
    assert.equal(after.episode, stuck.episode);
    assert.match(after.steps[0]!.ignored!, /nothing to cancel: episode is stuck/);
  });

  it('fails after max_failed_plans consecutive inference errors; a good plan in between resets the count', () => {
    const interrupted = run([
      start(1),
      error(2),
      error(3),
      { kind: 'plan', timeNs: 4n * S },
      error(5),
      error(6),
    ]);
    assert.deepEqual(
      [interrupted.episode.state, interrupted.episode.failedPlansInRow, interrupted.episode.plans],
      ['navigating', 2, 1],
    );
    const failed = run([
      start(1),
      error(2),
      { kind: 'encode_error', timeNs: 3n * S, detail: 'VAE non-finite' },
      error(4),
    ]);
    assert.equal(failed.episode.state, 'failed');
    assert.equal(failed.steps[3]!.ended, true);
    assert.equal(
      failed.episode.reason,
      '3 plan cycles failed in a row; last: inference_error: dit_step: worker died',
    );
  });

  it('does not count "no frames yet" or a cancelled plan as failures', () => {
    const { episode } = run([
      start(1),
      ...[2, 3, 4].map((t): EpisodeEvent => ({
        kind: 'no_plan',
        timeNs: BigInt(t) * S,
        noPlan: { kind: 'no_frames', reason: 'none yet' },
      })),
      {
        kind: 'no_plan',
        timeNs: 5n * S,
        noPlan: { kind: 'cancelled', reason: 'cancelled between network calls' },
      },
    ]);
    assert.deepEqual([episode.state, episode.failedPlansInRow], ['navigating', 0]);
  });

  it('starts a new episode from any state, with a new id and counters reset', () => {
    const first = run([start(1), error(2), { kind: 'stuck', timeNs: 9n * S, detail: 'x' }]);
    const second = run([start(10, 'turn left at the sofa')], first.episode);
    assert.equal(second.steps[0]!.started, true);
    assert.deepEqual(
      [second.episode.id, second.episode.state, second.episode.failedPlansInRow, second.episode.reason],
      ['ep2-10000', 'navigating', 0, undefined],
    );
  });

  it('describes itself in one line', () => {
    const { episode } = run([
      start(1),
      { kind: 'plan', timeNs: 2n * S },
      { kind: 'stuck', timeNs: 9n * S, detail: 'turning in place' },
    ]);
    assert.equal(
      describeEpisode(episode, 9n * S),
      'episode ep1-1000 stuck ("walk to the door", 1 plans, 8.0 s): turning in place',
    );
    assert.equal(describeEpisode(INITIAL_EPISODE), 'idle (no instruction yet)');
    assert.equal(episodeId(7, 1_234_567_890_123n), 'ep7-1234567');
  });
});
