/** Headless Firefox ESR for the end-to-end suites, its push client pointed at the stack's push service. */
import { type Browser, launch } from 'puppeteer-core';
import type { Stack } from './stack.js';

/**
 * Launches Debian's Firefox ESR over WebDriver BiDi with the push service's prefs (plus `prefs`)
 * and resolves once Firefox has said hello to the push service: subscribing before that can hang.
 */
export async function launchFirefox(
  stack: Stack,
  options: {
    args?: string[];
    prefs?: Record<string, string | number | boolean>;
    env?: Record<string, string>;
  } = {},
): Promise<Browser> {
  const hello = stack.push.waitFor('ua:hello', () => true, 30_000);
  const browser = await launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
    args: options.args ?? [],
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    extraPrefsFirefox: { ...stack.push.firefoxPrefs(), ...options.prefs },
  });
  await hello;
  return browser;
}
