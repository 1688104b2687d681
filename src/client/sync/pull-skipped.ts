import type { PullResponse } from '../../core/index.js';
import { TidesyncError } from '../../core/index.js';
import type { EmitEvent } from '../client-context.js';
import type { ServerApi } from './server-api.js';

/** The `maxBytes` a pull sends: the transport's answer limit, when it has one. */
export function pullBudgetOf(server: ServerApi): { maxBytes?: number } {
  const maxBytes = server.maxResponseBytes;
  return maxBytes !== undefined && Number.isSafeInteger(maxBytes) && maxBytes >= 4096
    ? { maxBytes }
    : {};
}

/**
 * Tells the app about each change of a committed page that the server left out because it is
 * larger than this client can receive (`recordSkipped`, code `RECORD_TOO_LARGE`).
 */
export function reportSkipped(emit: EmitEvent, page: PullResponse): void {
  for (const skipped of page.skipped ?? []) {
    emit('recordSkipped', {
      collection: skipped.collection,
      id: skipped.id,
      version: skipped.version,
      bytes: skipped.bytes,
      error: new TidesyncError(
        'RECORD_TOO_LARGE',
        `Record \`${skipped.id}\` of \`${skipped.collection}\` (version ${skipped.version}) takes ${skipped.bytes} bytes, more than this client accepts in one answer; it was not pulled. Raise the transport's maxResponseBytes, or store less in one record.`,
      ),
    });
  }
}
