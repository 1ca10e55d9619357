import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * `node:util` `parseArgs`, except that an option that takes a value always takes the next
 * argument, as getopt does, even when it starts with `-`. Plain `parseArgs` refuses
 * `--private-key -Xb3...` as ambiguous, and one base64url key in 64 starts with `-`.
 *
 * @example
 * ```ts
 * const { values } = parseCliArgs({
 *   args: ['--auth', '-8dQnzWc1xLb4GH0iPm2Ow'],
 *   options: { auth: { type: 'string' } },
 *   strict: true,
 * });
 * values.auth; // '-8dQnzWc1xLb4GH0iPm2Ow'
 * ```
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const options = config.options ?? {};
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (option.short) takesValue.add(`-${option.short}`);
  }
  const given = config.args ?? process.argv.slice(2);
  const args: string[] = [];
  for (let i = 0; i < given.length; i++) {
    const arg = given[i]!;
    if (arg === '--') {
      args.push(...given.slice(i));
      break;
    }
    const value = given[i + 1];
    if (takesValue.has(arg) && value?.startsWith('-')) {
      // Long options take `--name=value`; short ones take the value glued on (`-kVALUE`).
      args.push(arg.startsWith('--') ? `${arg}=${value}` : `${arg}${value}`);
      i++;
    } else args.push(arg);
  }
  return parseArgs({ ...config, args } as T);
}
