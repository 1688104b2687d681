// Imports point one way (docs/architecture.md): no file of src/ reaches itself through its
// relative imports, type-only imports included (`import type` and `export ... from`). The
// eslint import plugin is not installed, so this walks the import graph itself.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Cycles still open, each to be removed from here when it is broken. None today. */
const KNOWN: readonly string[] = [];

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'/g;

/** The relative imports of each file, resolved to repository paths (`.js` read as `.ts`). */
function importGraph(sources: ReadonlyMap<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of sources) {
    const deps: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const target = join(dirname(file), match[1]!).replace(/\.js$/, '');
      const hit = [`${target}.ts`, `${target}.tsx`].find((t) => sources.has(t));
      if (hit) deps.push(hit);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** One cycle per back edge of a depth-first walk, as `a -> b -> a`. */
function findCycles(sources: ReadonlyMap<string, string>): string[] {
  const graph = importGraph(sources);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open')
        cycles.push([...stack.slice(stack.indexOf(dep)), dep].join(' -> '));
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

function sourcesOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string): void => {
    for (const entry of readdirSync(join(root, path), { withFileTypes: true })) {
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (/\.tsx?$/.test(entry.name)) out.set(child, readFileSync(join(root, child), 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('import cycles', () => {
  it('finds none in src/ besides the known open ones', () => {
    const cycles = findCycles(sourcesOf('src'));
    expect(cycles.filter((c) => !KNOWN.includes(c))).toEqual([]);
    // A known cycle that is gone must leave the list too.
    expect(KNOWN.filter((c) => !cycles.includes(c))).toEqual([]);
  });

  it('reports a cycle made only of type imports and re-exports', () => {
    const sources = new Map([
      ['src/x/a.ts', "import type { B } from './b.js';\nexport interface A { b: B }"],
      ['src/x/b.ts', "export type { C as B } from '../y/c.js';"],
      ['src/y/c.ts', "import type {\n  A,\n} from '../x/a.js';\nexport interface C { a: A }"],
      ['src/y/d.ts', "import { a } from '../x/a.js';"],
    ]);
    expect(findCycles(sources)).toEqual(['src/x/a.ts -> src/x/b.ts -> src/y/c.ts -> src/x/a.ts']);
  });
});
