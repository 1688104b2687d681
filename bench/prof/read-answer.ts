// A/B aid for the HTTP transport's answer reading: the client's CPU time of `send()` calls
// against a server (a child process, so its CPU is not counted) that answers each with the same
// JSON body, shaped like a push answer for 50 ops (`BODY=push`, ~36 kB) or a 500-record pull
// page (`BODY=pull`). The server writes it as the tidesync node handler does (chunked, no
// content-length) or, with `LENGTH=1`, with a content-length.
// SRCS: comma-separated checkouts' src folders, each one's `httpTransport` measured in turns of
// K sends, ROUNDS turns each, interleaved, so a loaded machine's noise hits all alike.
// `SRCS=/work/wt/perf-base/src,src K=200 ROUNDS=15 BODY=push npx tsx bench/prof/read-answer.ts`
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { todoFields } from '../workload.js';

const k = Number(process.env['K'] ?? 200);
const kind = process.env['BODY'] === 'pull' ? 'pull' : 'push';
const withLength = process.env['LENGTH'] === '1';
const rounds = Number(process.env['ROUNDS'] ?? 15);
const srcs = (process.env['SRCS'] ?? 'src').split(',').map((dir) => resolve(dir));
type TransportModule = typeof import('../../src/transport/index.js');

const hlc = '0001700000000000:00000:client-aaaaaaaaaaaaaaaa';
/** A record as the server sends it. */
function wireRecord(i: number) {
  const data = todoFields(i);
  return {
    collection: 'todos',
    id: `01HZZZZZZZZZZZZZZZZ${String(i).padStart(7, '0')}`,
    version: 1,
    data,
    fieldClocks: Object.fromEntries(Object.keys(data).map((key) => [key, hlc])),
    hlc,
    deleted: false,
    originClientId: 'client-aaaaaaaaaaaaaaaa',
    originId: `01HYYYYYYYYYYYYYYYY${String(i).padStart(7, '0')}`,
    schemaVersion: 1,
  };
}

const answer =
  kind === 'push'
    ? {
        protocol: 1,
        results: Array.from({ length: 50 }, (_, i) => ({
          opId: `01HXXXXXXXXXXXXXXXX${String(i).padStart(7, '0')}`,
          status: 'applied',
          serverId: wireRecord(i).id,
          version: 1,
          record: wireRecord(i),
          merged: false,
        })),
        serverTime: 1_700_000_000_000,
      }
    : {
        protocol: 1,
        changes: Array.from({ length: 500 }, (_, i) => wireRecord(i)),
        cursor: 'c'.repeat(60),
        hasMore: true,
        reset: false,
        serverTime: 1_700_000_000_000,
      };
const text = JSON.stringify(answer);

// The server runs in a child process, so this process's CPU time is the client's alone.
const serverCode = `
  const http = require('node:http');
  process.once('message', (text) => {
    const headers = { 'content-type': 'application/json; charset=utf-8' };
    if (process.env.LENGTH === '1') headers['content-length'] = Buffer.byteLength(text);
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(200, headers); res.end(text); });
    });
    server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  });
`;
const child = spawn(process.execPath, ['-e', serverCode], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
child.send(text);
const port = await new Promise<number>((resolve) =>
  child.once('message', (m) => resolve(Number(m))),
);
const url = `http://127.0.0.1:${port}/sync`;
const transports = await Promise.all(
  srcs.map(async (src) => {
    const module = (await import(join(src, 'transport/index.ts'))) as TransportModule;
    return module.httpTransport({ url });
  }),
);

// Warm-up, then ROUNDS turns of K sends per transport.
for (const transport of transports) {
  for (let i = 0; i < 1000; i++) await transport.send(kind, {});
}
const cpus: number[][] = srcs.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (const [index, transport] of transports.entries()) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < k; i++) await transport.send(kind, {});
    const used = process.cpuUsage(cpu);
    cpus[index]!.push((used.user + used.system) / 1000 / k);
  }
}
console.log(
  `${kind} answer ${text.length} B${withLength ? ', content-length' : ''}, ${rounds}x${k} sends`,
);
for (const [index, src] of srcs.entries()) {
  const sorted = [...cpus[index]!].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  console.log(
    `${src}: client cpu per send min ${sorted[0]!.toFixed(3)} median ${median.toFixed(3)} ms`,
  );
}
child.kill();
