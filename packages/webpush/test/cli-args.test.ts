import { describe, expect, test } from 'vitest';
import { parseCliArgs } from '../src/node/cli-args.js';

const options = {
  key: { type: 'string', short: 'k' },
  json: { type: 'boolean' },
} as const;
const parse = (...args: string[]) => parseCliArgs({ args, options, strict: true, allowPositionals: true });

describe('parseCliArgs', () => {
  test('an option that takes a value takes the next argument even when it starts with -', () => {
    // One base64url key in 64 starts with '-': plain parseArgs refuses these as ambiguous.
    expect(parse('--key', '-Xb3q', '--json').values).toEqual({ key: '-Xb3q', json: true });
    expect(parse('--key', '--Xb3q').values).toEqual({ key: '--Xb3q' });
    expect(parse('-k', '-Xb3q').values).toEqual({ key: '-Xb3q' });
    expect(parse('--key=-Xb3q').values).toEqual({ key: '-Xb3q' });
  });

  test('everything else is parsed as parseArgs does', () => {
    expect(parse('--key', 'abc', 'rest')).toMatchObject({ values: { key: 'abc' }, positionals: ['rest'] });
    // A boolean option does not take the next argument, and -- still ends the options.
    expect(() => parse('--json', '-Xb3q')).toThrow(
      expect.objectContaining({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }),
    );
    expect(parse('--', '--key', '-x')).toMatchObject({ values: {}, positionals: ['--key', '-x'] });
    expect(() => parse('--key')).toThrow(
      expect.objectContaining({ code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' }),
    );
  });
});
