// The run settings every property test reads from the environment: how many runs, and the
// seed and path fast-check prints on a failure, to replay it.

/** A replay seed from `TIDESYNC_PROPERTY_SEED`, if set. */
export const PROPERTY_SEED = process.env['TIDESYNC_PROPERTY_SEED'];
const PATH = process.env['TIDESYNC_PROPERTY_PATH'];

/**
 * fast-check parameters: `numRuns` from the environment variable `runsVariable` (else
 * `defaultRuns`), plus the replay seed and path when they are set.
 */
export function propertyRuns(
  defaultRuns: number,
  runsVariable = 'TIDESYNC_PROPERTY_RUNS',
): { numRuns: number; seed?: number; path?: string } {
  return {
    numRuns: Number(process.env[runsVariable] ?? defaultRuns),
    ...(PROPERTY_SEED ? { seed: Number(PROPERTY_SEED) } : {}),
    ...(PATH ? { path: PATH } : {}),
  };
}
