import { TidesyncError } from '../../../core/index.js';

/**
 * The event source a trigger listens to: `given`, else the runtime's own (`runtimeSource`).
 * @throws TidesyncError `INVALID_OPTION` with `missing` (what is absent, what to pass) when
 * neither exists.
 */
export function triggerSource<T>(
  given: T | undefined,
  runtimeSource: () => T | undefined,
  missing: string,
): T {
  const source = given ?? runtimeSource();
  if (!source) throw new TidesyncError('INVALID_OPTION', missing);
  return source;
}
