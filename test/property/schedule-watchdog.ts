// A bound on one schedule of a property test: a schedule that hangs or livelocks (a sync that
// never ends, a settle that never reaches quiet) fails with a message that names the schedule,
// the step it was on and the seed that replays it, instead of a silent test timeout. A schedule
// takes tens of milliseconds; the bound only catches one that does not end.
import { randomInt } from 'node:crypto';

/** The bound of one schedule, from `TIDESYNC_PROPERTY_SCHEDULE_MS` (default 20 s). */
export const SCHEDULE_LIMIT_MS = Number(process.env['TIDESYNC_PROPERTY_SCHEDULE_MS'] ?? 20_000);

/** A fast-check seed: `TIDESYNC_PROPERTY_SEED` when set, else a fresh one the test prints. */
export function chooseSeed(replay: string | undefined): number {
  return replay ? Number(replay) : randomInt(0x7fff_ffff);
}

/** Where a schedule is: the test updates `at` as it goes, the watchdog reports it. */
export interface ScheduleProgress {
  at: string;
}

/**
 * Runs `work` (one schedule), failing after `limitMs` with `describe()` (the schedule) and the
 * step `progress.at` names. The first failure of any kind is also printed at once, because
 * fast-check goes on to shrink it, each shrink attempt that hangs takes `limitMs` again, and a
 * shrink interrupted by the time limit reports no counterexample.
 */
export async function withinLimit<T>(
  work: (progress: ScheduleProgress) => Promise<T>,
  describe: () => string,
  limitMs = SCHEDULE_LIMIT_MS,
): Promise<T> {
  const progress: ScheduleProgress = { at: 'start' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const message = `The schedule did not end in ${limitMs} ms (hang or livelock) at ${progress.at}. ${describe()}`;
      if (!reported) console.error(message);
      reported = true;
      reject(new Error(message));
    }, limitMs);
  });
  try {
    return await Promise.race([work(progress), expired]);
  } catch (error) {
    // The first failure is printed as found: a shrink that runs out of time reports only the
    // seed (fast-check's interrupt), not this schedule.
    if (!reported) console.error(`A schedule failed: ${describe()}\n${String(error)}`);
    reported = true;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
let reported = false;
