/**
 * The ready-made worker script (`dist/herald-sw.js`, an IIFE for `importScripts` or for
 * registering directly). It installs Herald at once with `self.heraldOptions` if the importing
 * worker set them, and leaves the {@link HeraldWorker} at `self.herald` so the site can set hooks
 * later (`herald.options.onPush = ...`).
 *
 * @example
 * ```ts
 * // sw.js
 * importScripts('/herald-sw.js');
 * herald.options.onPush = (push) => undefined;
 * ```
 */
import { type HeraldWorker, type HeraldWorkerOptions, installHerald } from './install.js';

declare const self: ServiceWorkerGlobalScope & { heraldOptions?: HeraldWorkerOptions; herald?: HeraldWorker };

self.herald = installHerald(self.heraldOptions);
