import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { errorCodes } from '../src/errors.js';

test('docs/errors.md lists exactly the codes of HeraldClientError, with the same meanings', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.split('## `@herald/client`')[1]!.split('\n## ')[0]!;
  const documented = Object.fromEntries(
    [...section.matchAll(/^\| `(ERR_[A-Z0-9_]+)` *\| (.+?) *\|$/gm)].map((m) => [m[1], m[2]]),
  );
  expect(documented).toEqual(errorCodes);
});
