/**
 * One line of progress, redrawn in place on a terminal (`\r`), printed once per change
 * elsewhere. Small enough not to need a package: `herald send --wait` is its only user.
 *
 * @example
 * ```ts
 * progressLine({ targeted: 10, sent: 4, failed: 1, gone: 0, pending: 5 }, 30);
 * // '[###############---------------]  50%  sent 4  failed 1  gone 0  pending 5 of 10'
 * ```
 */
export function progressLine(
  counts: { targeted: number; sent: number; failed: number; gone: number; pending: number },
  width = 30,
): string {
  const done = counts.sent + counts.failed + counts.gone;
  const ratio = counts.targeted === 0 ? (counts.pending === 0 ? 1 : 0) : Math.min(1, done / counts.targeted);
  const filled = Math.round(ratio * width);
  const percent = `${Math.round(ratio * 100)}%`.padStart(4);
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  sent ${counts.sent}  failed ${counts.failed}` +
    `  gone ${counts.gone}  pending ${counts.pending} of ${counts.targeted}`
  );
}
