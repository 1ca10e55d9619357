import type { ParseArgsConfig } from 'node:util';
import { parseCliArgs } from '@herald/webpush/node';
import { configSources, type HeraldConfig, loadConfig } from '../config.js';

/** `parseArgs` options for every configuration flag (`--port`, `--data-dir`, ...). */
export const configFlagOptions: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(
  Object.values(configSources).map(({ flag }) => [flag, { type: 'string' as const }]),
);

/**
 * Parses a command's arguments: its own options and positionals, plus every configuration flag,
 * which wins over its environment variable.
 *
 * @example
 * ```ts
 * const { config, values } = parseCommand(['--port', '8080', '--activate'], process.env, {
 *   activate: { type: 'boolean' },
 * });
 * ```
 */
export function parseCommand(
  args: string[],
  env: Record<string, string | undefined>,
  options: NonNullable<ParseArgsConfig['options']> = {},
): { config: HeraldConfig; values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { values, positionals } = parseCliArgs({
    args,
    options: { ...configFlagOptions, ...options },
    strict: true,
    allowPositionals: true,
  });
  const flags: Partial<Record<keyof HeraldConfig, string>> = {};
  for (const [key, { flag }] of Object.entries(configSources)) {
    const value = values[flag];
    if (typeof value === 'string') flags[key as keyof HeraldConfig] = value;
  }
  return {
    config: loadConfig(env, flags),
    values: values as Record<string, string | boolean | undefined>,
    positionals,
  };
}
