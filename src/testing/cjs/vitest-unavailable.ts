/**
 * Stand-in for `vitest` in the CommonJS build of `tidesync/testing/vitest`. vitest is ESM-only
 * and refuses `require()`, so the CJS build links this instead: requiring the subpath works,
 * and calling a vitest runner says what to do.
 */
function unavailable(): never {
  throw new Error(
    'The vitest conformance runners of `tidesync/testing/vitest` need ES modules (vitest cannot be required). Import `tidesync/testing/vitest` from an ES module test file, or run `storageAdapterConformanceCases` from `tidesync/testing` with your own test framework.',
  );
}

export const describe = unavailable;
export const it = unavailable;
export const expect = unavailable;
export const beforeEach = unavailable;
export const afterEach = unavailable;
export const beforeAll = unavailable;
export const afterAll = unavailable;
