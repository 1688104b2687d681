import { describe, expect, it } from 'vitest';
import { runServerStoreConformance } from '../../src/testing/conformance/server-store.js';
import { createPostgresFixture, postgresUrl } from './postgres-fixture.js';

const url = postgresUrl();

if (url) {
  runServerStoreConformance('postgres', () => createPostgresFixture(url));
} else {
  describe('server store conformance: postgres', () => {
    it('needs TIDESYNC_PG_URL (skipped outside CI)', () => {
      expect(process.env['CI']).not.toBe('true');
    });
  });
}
