import type { ServerRecord } from './server-store.js';

/** A record's `data` and `fieldClocks` as JSON text, as the SQL stores write them. */
export interface RecordJson {
  readonly data: string;
  readonly fieldClocks: string;
}

interface Held {
  readonly record: ServerRecord;
  readonly data: ServerRecord['data'];
  readonly fieldClocks: ServerRecord['fieldClocks'];
  readonly json: RecordJson;
}

// The last record serialised. The push measures a record's JSON (`maxRecordBytes`) just before
// it hands the record to `putRecord`, whose transaction cache writes the same texts: one entry is
// enough for that hand-over. Any other record, or one whose `data` or `fieldClocks` object was
// replaced since, is serialised afresh.
let held: Held | undefined;

/** `record.data` and `record.fieldClocks` as JSON, serialised once for the check and the write. */
export function recordJson(record: ServerRecord): RecordJson {
  const last = held;
  if (
    last !== undefined &&
    last.record === record &&
    last.data === record.data &&
    last.fieldClocks === record.fieldClocks
  ) {
    return last.json;
  }
  const json = {
    data: JSON.stringify(record.data),
    fieldClocks: JSON.stringify(record.fieldClocks),
  };
  held = { record, data: record.data, fieldClocks: record.fieldClocks, json };
  return json;
}
