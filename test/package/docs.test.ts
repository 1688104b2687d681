import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from 'tidesync';
import { REPO_ROOT } from './pack-helpers.js';

const docs = join(REPO_ROOT, 'docs');
const read = (name: string) => readFileSync(join(docs, name), 'utf8');

describe('docs', () => {
  it('errors.md explains every error code, and only real ones', () => {
    const page = read('errors.md');
    const missing = ERROR_CODES.filter((code) => !page.includes(`| \`${code}\` |`));
    expect(missing).toEqual([]);
    const documented = [...page.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(
      documented.filter((code) => !(ERROR_CODES as readonly string[]).includes(code!)),
    ).toEqual([]);
  });

  it('index.md links every page in docs/', () => {
    const index = read('index.md');
    const pages = readdirSync(docs).filter((f) => f.endsWith('.md') && f !== 'index.md');
    expect(pages.filter((page) => !index.includes(`](${page})`))).toEqual([]);
  });

  it('every relative link between docs pages points at a page that exists', () => {
    const pages = new Set(readdirSync(docs));
    const broken: string[] = [];
    for (const page of pages) {
      if (!page.endsWith('.md')) continue;
      for (const [, target] of read(page).matchAll(/\]\(([a-z0-9-]+\.md)(#[^)]*)?\)/g)) {
        if (!pages.has(target!)) broken.push(`${page} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
