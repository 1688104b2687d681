import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Bytes of the core entry (`tidesync`) minified and gzipped, zod left out. */
export interface BundleSize {
  readonly minBytes: number;
  readonly gzipBytes: number;
}

/**
 * Bundles `src/index.ts` as an app would import it (ESM, minified, tree-shaken, browser
 * platform) with zod external, then gzips it (level 9). The other runtime dependencies
 * (nanoid, eventemitter3, p-queue) are included.
 */
export async function coreBundleSize(): Promise<BundleSize> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
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
