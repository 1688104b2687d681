/**
 * Stand-in for `vitest` in the CommonJS build of `tidesync/testing`. vitest is ESM-only and
 * refuses `require()`, so the CJS build links this instead: the harness, fake clock and
 * simulated network work from CommonJS, and only the vitest runners say what to do.
 */
function unavailable(): never {
  throw new Error(
    'The vitest conformance runners of `tidesync/testing` need ES modules (vitest cannot be required). Import `tidesync/testing` from an ES module test file, or run `storageAdapterConformanceCases` with your own test framework.',
  );
}

export const describe = unavailable;
export const it = unavailable;
export const expect = unavailable;
export const beforeEach = unavailable;
export const afterEach = unavailable;
export const beforeAll = unavailable;
export const afterAll = unavailable;
