import type { EpisodeState } from '../../messages/ros';
import { nsToSeconds, type TimeNs } from '../../messages/time';
import type { NoPlan } from '../../planner/plan';

/**
 * One navigation episode as a pure state machine:
 *
 *   idle ──start──► navigating ──► arrived | cancelled | stuck | failed
 *     ▲                 │
 *     └── (any state) ──┴──start──► navigating (a new episode: new id, history reset)
 *
 * Only `navigating` plans. The terminal states hold until the next start; the controller stops the robot on
 * cancelled / stuck / failed through the heartbeat and on arrival by its own latch.
 */
export interface Episode {
  /** Empty before the first episode. Unique across node restarts: it carries the start time. */
  readonly id: string;
  readonly state: EpisodeState;
  readonly instruction: string;
  /** Episodes started so far; numbers the ids. */
  readonly count: number;
  readonly startedNs?: TimeNs;
  readonly endedNs?: TimeNs;
  /** Why the episode ended (or why a start was refused), in words. */
  readonly reason?: string;
  readonly plans: number;
  /** Plan cycles in a row that ended in an inference error or non-finite output. */
  readonly failedPlansInRow: number;
}

export type EpisodeEvent =
  | { readonly kind: 'start'; readonly timeNs: TimeNs; readonly instruction: string }
  | { readonly kind: 'cancel'; readonly timeNs: TimeNs; readonly reason: string }
  | { readonly kind: 'arrived'; readonly timeNs: TimeNs; readonly episodeId: string; readonly detail: string }
  | { readonly kind: 'stuck'; readonly timeNs: TimeNs; readonly detail: string }
  | { readonly kind: 'plan'; readonly timeNs: TimeNs }
  | { readonly kind: 'no_plan'; readonly timeNs: TimeNs; readonly noPlan: Pick<NoPlan, 'kind' | 'reason'> }
  /** The VAE encoder failed on a frame: counts like a failed plan cycle. */
  | { readonly kind: 'encode_error'; readonly timeNs: TimeNs; readonly detail: string };

export interface EpisodeParams {
  readonly maxFailedPlans: number;
}

export interface EpisodeStep {
  readonly episode: Episode;
  /** A new episode began: reset the history, the sampler and the stuck detector, cancel the in-flight plan. */
  readonly started: boolean;
  /** The episode left `navigating`: cancel the in-flight plan and stop planning. */
  readonly ended: boolean;
  /** An event that changed nothing, with the reason (for the log and the status). */
  readonly ignored?: string;
}

export const INITIAL_EPISODE: Episode = Object.freeze({
  id: '',
  state: 'idle',
  instruction: '',
  count: 0,
  plans: 0,
  failedPlansInRow: 0,
});

/** NoPlan kinds that mean the model is broken rather than "nothing to plan from yet". */
const FAILURE_KINDS: ReadonlySet<NoPlan['kind']> = new Set<NoPlan['kind']>(['inference_error', 'non_finite']);

/** `ep<n>-<start time in ms>`: the controller latches arrival per id, so ids must not repeat after a restart. */
export function episodeId(count: number, startedNs: TimeNs): string {
  return `ep${count}-${startedNs / 1_000_000n}`;
}

export function episodeStep(episode: Episode, event: EpisodeEvent, params: EpisodeParams): EpisodeStep {
  const unchanged = (ignored: string): EpisodeStep => ({ episode, started: false, ended: false, ignored });
  const end = (state: EpisodeState, reason: string, change: Partial<Episode> = {}): EpisodeStep => ({
    episode: { ...episode, ...change, state, reason, endedNs: event.timeNs },
    started: false,
    ended: true,
  });
  const navigating = episode.state === 'navigating';

  switch (event.kind) {
    case 'start': {
      const instruction = event.instruction.trim();
      if (!instruction) return unchanged('no instruction: set planner.instruction or publish one');
      const count = episode.count + 1;
      return {
        episode: {
          id: episodeId(count, event.timeNs),
          state: 'navigating',
          instruction,
          count,
          startedNs: event.timeNs,
          plans: 0,
          failedPlansInRow: 0,
        },
        started: true,
        ended: false,
      };
    }
    case 'cancel':
      if (!navigating) return unchanged(`nothing to cancel: episode is ${episode.state}`);
      return end('cancelled', event.reason);
    case 'arrived':
      if (!navigating) return unchanged(`arrival ignored: episode is ${episode.state}`);
      if (event.episodeId !== episode.id) {
        return unchanged(
          `arrival of episode "${event.episodeId}" ignored: the current one is "${episode.id}"`,
        );
      }
      return end('arrived', event.detail);
    case 'stuck':
      if (!navigating) return unchanged(`stuck report ignored: episode is ${episode.state}`);
      return end('stuck', event.detail);
    case 'plan':
      if (!navigating) return unchanged(`plan ignored: episode is ${episode.state}`);
      return {
        episode: { ...episode, plans: episode.plans + 1, failedPlansInRow: 0 },
        started: false,
        ended: false,
      };
    case 'no_plan':
    case 'encode_error': {
      if (!navigating) return unchanged(`failure ignored: episode is ${episode.state}`);
      const detail = event.kind === 'no_plan' ? `${event.noPlan.kind}: ${event.noPlan.reason}` : event.detail;
      if (event.kind === 'no_plan' && !FAILURE_KINDS.has(event.noPlan.kind)) {
        return unchanged(`no plan (${detail})`);
      }
      const failedPlansInRow = episode.failedPlansInRow + 1;
      if (failedPlansInRow >= params.maxFailedPlans) {
        return end('failed', `${failedPlansInRow} plan cycles failed in a row; last: ${detail}`, {
          failedPlansInRow,
        });
      }
      return { episode: { ...episode, failedPlansInRow }, started: false, ended: false };
    }
  }
}

/** One line for the log and the status: the state, id, instruction and why it ended. */
export function describeEpisode(episode: Episode, nowNs?: TimeNs): string {
  if (!episode.id) return episode.reason ? `idle (${episode.reason})` : 'idle (no instruction yet)';
  const since =
    nowNs !== undefined && episode.startedNs !== undefined
      ? `, ${nsToSeconds(nowNs - episode.startedNs).toFixed(1)} s`
      : '';
  const why = episode.reason && episode.state !== 'navigating' ? `: ${episode.reason}` : '';
  return `episode ${episode.id} ${episode.state} ("${episode.instruction}", ${episode.plans} plans${since})${why}`;
}
