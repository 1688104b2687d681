import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

/** Bytes of a bundle minified and gzipped. */
export interface BundleSize {
  readonly minBytes: number;
  readonly gzipBytes: number;
}

const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

/**
 * Bundles `src/index.ts` as an app would import it (ESM, minified, tree-shaken, browser
 * platform) with zod external, then gzips it (level 9). The other runtime dependencies
 * (nanoid, eventemitter3, p-queue) are included.
 */
export async function coreBundleSize(): Promise<BundleSize> {
  const result = await build({
    entryPoints: [src('index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['zod', 'zod/*'],
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles[0]!.contents;
  return { minBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

/** {@link BundleSize} of the app bundle, with the minified bytes each part contributes. */
export interface AppBundleSize extends BundleSize {
  /** Minified bytes per part (a tidesync folder or file, a dependency), largest first. */
  readonly parts: readonly (readonly [part: string, minBytes: number])[];
}

/** The part an input file belongs to: a dependency, a zod folder, a tidesync folder or file. */
function partOf(input: string): string {
  const zod = /^node_modules\/zod\/v4\/([^/]+)\//.exec(input);
  if (zod) return `zod/${zod[1]}`;
  const dep = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (dep) return dep[1]!;
  const ours = /^src\/(client\/[^/]+\/|[^/]+\/)/.exec(input);
  return ours && !/\.ts$/.test(ours[1]!) ? `src/${ours[1]}` : input;
}

function parts(metafile: Metafile): [string, number][] {
  const sums = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const part = partOf(input);
      sums.set(part, (sums.get(part) ?? 0) + bytesInOutput);
    }
  }
  return [...sums].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]);
}

/**
 * Issue 17's app bundle: `bench/fixtures/app-bundle.ts` (createSyncClient, httpTransport, the
 * memory adapter and one collection with a zod/mini schema) bundled for the browser, minified
 * and tree-shaken, zod included, gzipped at level 9. `tidesync` resolves to `src/`.
 */
export async function appBundleSize(): Promise<AppBundleSize> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/app-bundle.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: {
      tidesync: src('index.ts'),
      'tidesync/adapters/memory': src('adapters/memory/index.ts'),
    },
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles[0]!.contents;
  return {
    minBytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    parts: parts(result.metafile),
  };
}

// `npx tsx bench/bundle-size.ts`: both figures and the app bundle's largest parts.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const core = await coreBundleSize();
  const app = await appBundleSize();
  console.log(`core entry, zod external: ${kb(core.minBytes)} min, ${kb(core.gzipBytes)} gzip`);
  console.log(`app bundle, zod included: ${kb(app.minBytes)} min, ${kb(app.gzipBytes)} gzip`);
  for (const [part, bytes] of app.parts.slice(0, 30)) {
    console.log(`${kb(bytes).padStart(9)}  ${part}`);
  }
}
