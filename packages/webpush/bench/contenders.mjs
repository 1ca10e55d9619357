// Who runs, in which order, and which ratios are goals (issue 2, "Performance").

/** The contenders of one run; web-push sends once per concurrency and its best one counts. */
export function contenders(concurrencies) {
  return [
    { id: 'encrypt-herald', part: 'encrypt', name: 'herald encrypt', script: 'encrypt-herald.mjs' },
    {
      id: 'encrypt-web-push',
      part: 'encrypt',
      name: 'web-push encrypt (http_ece)',
      script: 'encrypt-web-push.mjs',
    },
    { id: 'build-herald', part: 'build', name: 'herald buildPushRequest', script: 'build-herald.mjs' },
    {
      id: 'build-web-push',
      part: 'build',
      name: 'web-push generateRequestDetails',
      script: 'build-web-push.mjs',
    },
    {
      id: 'send-herald',
      part: 'send',
      name: 'herald sendMany, 1 thread',
      script: 'send-herald.mjs',
      tls: '@herald/webpush: createUndiciTransport({ connect: { ca: cert } })',
    },
    ...concurrencies.map((concurrency) => ({
      id: `send-web-push-${concurrency}`,
      part: 'send',
      name: `web-push sendNotification, ${concurrency} in flight`,
      script: 'send-web-push.mjs',
      config: { concurrency },
      tls: 'web-push: its `agent` option, new https.Agent({ keepAlive: true, ca: cert })',
    })),
  ];
}

/**
 * Ratios printed last, in messages per second: ours against the best of theirs (the contenders
 * whose id is `theirs` or starts with `theirs-`).
 */
export const goals = [
  {
    label: 'request building: buildPushRequest / generateRequestDetails',
    ours: 'build-herald',
    theirs: 'build-web-push',
    atLeast: 3.5,
  },
  {
    label: 'sending, one thread: sendMany / best sendNotification',
    ours: 'send-herald',
    theirs: 'send-web-push',
    atLeast: 3.5,
  },
  {
    label: 'encryption alone (no goal: the floor of request building)',
    ours: 'encrypt-herald',
    theirs: 'encrypt-web-push',
  },
];
