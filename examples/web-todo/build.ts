/**
 * Bundles the web-todo app with esbuild into `outDir`: `app.js` (React app and tidesync),
 * `sw.js` (service worker), and the files of `public/`. `tidesync` imports resolve to the
 * repository sources through tsconfig `paths`; an app outside this repo imports the package.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Where `buildWebTodo()` writes by default (gitignored). */
export const DEFAULT_OUT_DIR = here('./dist');

/** Builds the app into `outDir` (created if missing) and returns `outDir`. */
export async function buildWebTodo(outDir: string = DEFAULT_OUT_DIR): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  } as const;
  await build({
    ...common,
    entryPoints: [here('./src/main.tsx')],
    format: 'esm',
    outfile: `${outDir}/app.js`,
  });
  await build({
    ...common,
    entryPoints: [here('./src/service-worker.ts')],
    format: 'iife',
    outfile: `${outDir}/sw.js`,
  });
  cpSync(here('./public'), outDir, { recursive: true });
  return outDir;
}
