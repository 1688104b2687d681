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

// The record last measured. The push measures a record's JSON (`maxRecordBytes`) just before it
// hands the record to `putRecord`, whose transaction cache writes the same texts: one entry is
// enough for that hand-over. It is taken once; any other record, or one whose `data` or
// `fieldClocks` object was replaced since, is serialised afresh.
let held: Held | undefined;

/** `record.data` and `record.fieldClocks` as JSON, held for {@link takeRecordJson}. */
export function measureRecordJson(record: ServerRecord): RecordJson {
  const json = serialise(record);
  held = { record, data: record.data, fieldClocks: record.fieldClocks, json };
  return json;
}

/**
 * `record.data` and `record.fieldClocks` as JSON: the texts {@link measureRecordJson} made for
 * this very record (once), else serialised now.
 */
export function takeRecordJson(record: ServerRecord): RecordJson {
  const last = held;
  if (
    last !== undefined &&
    last.record === record &&
    last.data === record.data &&
    last.fieldClocks === record.fieldClocks
  ) {
    held = undefined;
    return last.json;
  }
  return serialise(record);
}

function serialise(record: ServerRecord): RecordJson {
  return {
    data: JSON.stringify(record.data),
    fieldClocks: JSON.stringify(record.fieldClocks),
  };
}
