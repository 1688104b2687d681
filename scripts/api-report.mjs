#!/usr/bin/env node
// The public-surface report: for every entry point in package.json `exports`, the names its
// built declarations (dist/**/*.d.ts) export, each with its declaration text, plus the
// unexported types those declarations reference. `api/<entry>.api.md` holds the committed
// report; `--check` fails when the build no longer matches it, `--update` rewrites it.
//
//   node scripts/api-report.mjs --check  [--root DIR] [--api DIR]
//   node scripts/api-report.mjs --update [--root DIR] [--api DIR]
//
// `--root` is the package folder (package.json and dist/), `--api` the report folder
// (default `<root>/api`). Comments are left out of the report: TSDoc edits are not API changes.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPORT_SUFFIX = '.api.md';
const UPDATE_HINT =
  'If the change is intended, run `npm run build && npm run api:update`, commit api/ and add a CHANGELOG line.';

/** `'.'` → `tidesync`, `'./adapters/memory'` → `adapters-memory`. */
export function reportName(subpath) {
  return subpath === '.' ? 'tidesync' : subpath.slice(2).replaceAll('/', '-');
}

/** Entry points of the package: subpath and the ESM and CJS declaration files, sorted by subpath. */
export function readEntries(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entries = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== 'object' || target === null) continue;
    const esm = target.import?.types;
    if (typeof esm !== 'string') continue;
    const cjs = target.require?.types;
    entries.push({
      subpath,
      name: reportName(subpath),
      esm: join(root, esm),
      cjs: typeof cjs === 'string' ? join(root, cjs) : undefined,
    });
  }
  return entries.sort((a, b) => (a.subpath < b.subpath ? -1 : a.subpath > b.subpath ? 1 : 0));
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

function resolveAlias(checker, symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** The node whose printed text is the declaration (a `const` prints as its whole statement). */
function declarationNode(declaration) {
  if (ts.isVariableDeclaration(declaration)) return declaration.parent.parent;
  return declaration;
}

function kindOf(declaration) {
  if (ts.isFunctionDeclaration(declaration)) return 'function';
  if (ts.isClassDeclaration(declaration)) return 'class';
  if (ts.isInterfaceDeclaration(declaration)) return 'interface';
  if (ts.isTypeAliasDeclaration(declaration)) return 'type';
  if (ts.isEnumDeclaration(declaration)) return 'enum';
  if (ts.isModuleDeclaration(declaration)) return 'namespace';
  if (ts.isVariableDeclaration(declaration)) return 'const';
  return ts.SyntaxKind[declaration.kind];
}

/** Symbols named in type positions (and `typeof x`) inside `node`. */
function referencedSymbols(checker, node, found) {
  const visit = (n) => {
    let target;
    if (ts.isTypeReferenceNode(n)) target = n.typeName;
    else if (ts.isExpressionWithTypeArguments(n)) target = n.expression;
    else if (ts.isTypeQueryNode(n)) target = n.exprName;
    if (target) {
      const symbol = checker.getSymbolAtLocation(target);
      if (symbol) found.add(resolveAlias(checker, symbol));
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
}

/** One program over every entry's declaration files (reading them once). */
function createProgram(entries) {
  const files = entries.flatMap((e) => (e.cjs && existsSync(e.cjs) ? [e.esm, e.cjs] : [e.esm]));
  return ts.createProgram(files, {
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    // The report reads declarations, not types: without the standard library it loads in a
    // fraction of the time, and names such as `Promise` are not ours to report anyway.
    noLib: true,
  });
}

/**
 * The report of one declaration file: a map of section title → declaration text, where the
 * exported names come first (sorted) and the referenced unexported types after them (sorted).
 */
export function buildSections(program, file, distDir) {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`Cannot read ${file}. Run \`npm run build\` first.`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${file} is not a module (it exports nothing).`);

  const inDist = (declaration) => {
    const path = resolve(declaration.getSourceFile().fileName);
    return !relative(distDir, path).startsWith('..');
  };
  const render = (title, symbol) => {
    const declarations = (symbol.declarations ?? []).filter(inDist);
    const seen = new Set();
    const texts = [];
    for (const declaration of declarations) {
      const node = declarationNode(declaration);
      if (seen.has(node)) continue;
      seen.add(node);
      texts.push(printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile()));
    }
    const kinds = [...new Set(declarations.map(kindOf))].join(', ');
    const local = symbol.getName();
    const header =
      local === title ? `${title} (${kinds})` : `${title} (${kinds}, declared as ${local})`;
    return { header, text: texts.join('\n'), declarations };
  };

  const exported = new Map();
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    exported.set(symbol.getName(), resolveAlias(checker, symbol));
  }
  const exportedSymbols = new Set(exported.values());
  const sections = new Map();
  const queue = [];
  const referenced = new Map();
  const enqueueReferences = (declarations) => {
    const found = new Set();
    for (const d of declarations) referencedSymbols(checker, declarationNode(d), found);
    for (const symbol of found) {
      if (exportedSymbols.has(symbol) || referenced.has(symbol)) continue;
      if (symbol.flags & ts.SymbolFlags.TypeParameter) continue;
      if (!(symbol.declarations ?? []).some(inDist)) continue;
      referenced.set(symbol, undefined);
      queue.push(symbol);
    }
  };
  for (const name of [...exported.keys()].sort()) {
    const { header, text, declarations } = render(name, exported.get(name));
    sections.set(header, text);
    enqueueReferences(declarations);
  }
  const unexported = new Map();
  while (queue.length > 0) {
    const symbol = queue.shift();
    const { header, text, declarations } = render(symbol.getName(), symbol);
    unexported.set(`${header}, not exported`, text);
    enqueueReferences(declarations);
  }
  for (const title of [...unexported.keys()].sort()) sections.set(title, unexported.get(title));
  return sections;
}

/** The Markdown text of one entry's report. */
export function formatReport(entry, sections, root) {
  const lines = [
    `# API report: ${entry.subpath === '.' ? 'tidesync' : `tidesync/${entry.subpath.slice(2)}`}`,
    '',
    `Generated from \`${relative(root, entry.esm).replaceAll('\\', '/')}\` by \`npm run api:update\`; checked in CI by \`npm run api:check\`. Do not edit by hand.`,
    '',
  ];
  for (const [title, text] of sections) {
    lines.push(`## ${title}`, '', '```ts', text, '```', '');
  }
  return lines.join('\n');
}

/** Splits a report back into its sections (title → declaration text). */
export function parseReport(text) {
  const sections = new Map();
  const pattern = /^## (.+)\n\n```ts\n([\s\S]*?)\n```$/gm;
  for (const match of text.matchAll(pattern)) sections.set(match[1], match[2]);
  return sections;
}

function describeChanges(name, expected, actual) {
  const out = [];
  const title = (t) => t.replace(/ \(.*$/, '');
  for (const t of expected.keys()) {
    if (!actual.has(t)) out.push(`  - removed: ${t}`);
  }
  for (const t of actual.keys()) {
    if (!expected.has(t)) out.push(`  + added:   ${t}`);
  }
  for (const [t, text] of actual) {
    const before = expected.get(t);
    if (before === undefined || before === text) continue;
    out.push(`  ~ changed: ${title(t)}`);
    const old = before.split('\n');
    const now = text.split('\n');
    for (const line of old) if (!now.includes(line)) out.push(`      - ${line}`);
    for (const line of now) if (!old.includes(line)) out.push(`      + ${line}`);
  }
  return out.length > 0 ? [`api/${name}${REPORT_SUFFIX}:`, ...out] : [];
}

/**
 * Builds every entry's report and compares it with (or, with `update`, writes it to) `apiDir`.
 * Returns the lines of a failure message; empty when everything matches.
 */
export function runApiReport({ root, apiDir, update }) {
  const distDir = resolve(root, 'dist');
  const entries = readEntries(root);
  const program = createProgram(entries);
  const problems = [];
  const wanted = new Set();
  for (const entry of entries) {
    const file = `${entry.name}${REPORT_SUFFIX}`;
    wanted.add(file);
    const sections = buildSections(program, entry.esm, distDir);
    if (entry.cjs && existsSync(entry.cjs)) {
      const cjs = [...buildSections(program, entry.cjs, distDir)];
      const esm = [...sections];
      if (JSON.stringify(cjs) !== JSON.stringify(esm)) {
        problems.push(
          `${entry.subpath}: the CommonJS declarations (${relative(root, entry.cjs)}) differ from the ESM ones (${relative(root, entry.esm)}). Check tsup.config.ts.`,
        );
      }
    }
    const text = formatReport(entry, sections, root);
    const path = join(apiDir, file);
    if (update) {
      mkdirSync(apiDir, { recursive: true });
      writeFileSync(path, text);
      continue;
    }
    if (!existsSync(path)) {
      problems.push(`api/${file} is missing: ${entry.subpath} has no committed report.`);
      continue;
    }
    const committed = readFileSync(path, 'utf8');
    if (committed === text) continue;
    const lines = describeChanges(entry.name, parseReport(committed), sections);
    problems.push(...(lines.length > 0 ? lines : [`api/${file}: the text differs (format only).`]));
  }
  const stale = existsSync(apiDir)
    ? readdirSync(apiDir).filter((f) => f.endsWith(REPORT_SUFFIX) && !wanted.has(f))
    : [];
  for (const file of stale) {
    if (update) rmSync(join(apiDir, file));
    else problems.push(`api/${file} belongs to no entry point in package.json \`exports\`.`);
  }
  return problems;
}

function main(argv) {
  const flag = (name) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const update = argv.includes('--update');
  if (!update && !argv.includes('--check')) {
    console.error('Usage: node scripts/api-report.mjs --check|--update [--root DIR] [--api DIR]');
    return 2;
  }
  const root = resolve(flag('--root') ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const apiDir = resolve(flag('--api') ?? join(root, 'api'));
  let problems;
  try {
    problems = runApiReport({ root, apiDir, update });
  } catch (error) {
    console.error(`api report: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  if (update) {
    console.log(`api report: wrote ${apiDir}/*${REPORT_SUFFIX}`);
    return problems.length > 0 ? (console.error(problems.join('\n')), 1) : 0;
  }
  if (problems.length === 0) {
    console.log('api report: the public surface matches api/.');
    return 0;
  }
  console.error(
    [
      'api report: the public surface differs from the committed api/ report.',
      ...problems,
      UPDATE_HINT,
    ].join('\n'),
  );
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
