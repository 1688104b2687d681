// English messages for zod issues when the app configured no zod locale. Classic zod installs
// its English locale when it loads; zod/mini installs none, so without these an app on
// zod/mini alone would read "Invalid input" for every problem. The texts follow zod's English
// locale for the codes tidesync's wire schemas and typical record schemas produce.
import type { core } from 'zod/mini';
import * as z from 'zod/mini';

const UNITS: Readonly<Record<string, string>> = {
  string: 'characters',
  array: 'items',
  set: 'items',
  map: 'entries',
  file: 'bytes',
};

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') {
    return Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? 'number' : String(value);
  }
  return typeof value;
}

const show = (value: unknown): string =>
  typeof value === 'string'
    ? `"${value}"`
    : typeof value === 'bigint'
      ? `${value}n`
      : String(value);

function bound(issue: { origin?: string; exact?: boolean }, op: string, limit: unknown): string {
  const unit = UNITS[issue.origin ?? ''];
  const size = `${issue.exact ? 'exactly ' : op}${String(limit)}`;
  return `expected ${issue.origin ?? 'value'} to ${unit ? `have ${size} ${unit}` : `be ${size}`}`;
}

/** zod's English message for `issue`. */
export function issueMessage(issue: core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${issue.expected}, received ${typeOf(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `Invalid input: expected ${show(issue.values[0])}`
        : `Invalid option: expected one of ${issue.values.map(show).join('|')}`;
    case 'too_big':
      return `Too big: ${bound(issue, issue.inclusive ? '<=' : '<', issue.maximum)}`;
    case 'too_small':
      return `Too small: ${bound(issue, issue.inclusive ? '>=' : '>', issue.minimum)}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue
        ? `Invalid string: must match pattern ${String(issue.pattern)}`
        : `Invalid ${issue.format}`;
    case 'not_multiple_of':
      return `Invalid number: must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.map(show).join(', ')}`;
    case 'invalid_key':
      return `Invalid key in ${issue.origin}`;
    case 'invalid_element':
      return `Invalid value in ${issue.origin}`;
    case 'invalid_union': {
      const options = (issue as { options?: readonly unknown[] }).options;
      return options?.length
        ? `Invalid discriminator value. Expected ${options.map((o) => `'${String(o)}'`).join(' | ')}`
        : 'Invalid input';
    }
    default:
      return 'Invalid input';
  }
}

/**
 * A per-parse error map: {@link issueMessage} when the app configured no zod locale or error
 * map (`z.config`), else `undefined`, so zod uses the app's. It changes no global setting.
 */
export function fallbackIssueMessage(issue: core.$ZodRawIssue): string | undefined {
  const config = z.config();
  return config.localeError || config.customError ? undefined : issueMessage(issue);
}
