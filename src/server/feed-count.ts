// The count behind a pull's `remaining` in the SQL stores (issue 21): feed entries after a
// cursor, over the same index ranges as the page.
import type { ChangeFilter } from './server-store.js';

/** How many records have a feed position after `after`, within a pull's filter (if any). */
export function countChangesStatement(
  t: string,
  after: number,
  filter: ChangeFilter | undefined,
  at: (n: number) => string,
): { text: string; values: unknown[] } {
  const values: unknown[] = [after];
  let where = `position > ${at(1)}`;
  if (filter) {
    values.push(filter.ownerId);
    const ranges = [`owner_id = ${at(values.length)}`];
    for (const collection of filter.collections) {
      values.push(collection);
      ranges.push(`collection = ${at(values.length)}`);
    }
    where += ` AND (${ranges.join(' OR ')})`;
  }
  return { text: `SELECT count(*) AS n FROM ${t}records WHERE ${where}`, values };
}
