import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { errorCodes, httpStatusByCode } from '../src/errors.js';

test('docs/errors.md lists exactly the codes of ServerError, with the same statuses and meanings', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.split('## `@herald/server`')[1]!.split('\n## ')[0]!;
  const rows = [...section.matchAll(/^\| `(ERR_[A-Z0-9_]+)` *\| (\d{3}) *\| (.+?) *\|$/gm)];
  expect(Object.fromEntries(rows.map((m) => [m[1], m[3]]))).toEqual(errorCodes);
  expect(Object.fromEntries(rows.map((m) => [m[1], Number(m[2])]))).toEqual(httpStatusByCode);
});
