import { build } from 'esbuild';
const r = await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  external: ['zod', 'zod/*'],
  write: false,
  metafile: true,
  outdir: '/tmp/x',
});
const out = Object.values(r.metafile.outputs)[0]!;
const rows = Object.entries(out.inputs)
  .map(([k, v]) => [k, v.bytesInOutput] as const)
  .sort((a, b) => b[1] - a[1]);
const dirs = new Map<string, number>();
for (const [k, b] of rows) {
  const d = k.startsWith('node_modules')
    ? k.split('/').slice(0, 2).join('/')
    : k.split('/').slice(0, 2).join('/');
  dirs.set(d, (dirs.get(d) ?? 0) + b);
}
console.log([...dirs].sort((a, b) => b[1] - a[1]));
console.log(rows.slice(0, 15));
