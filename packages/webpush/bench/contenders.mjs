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
    ...[1, 2].map((threads) => ({
      id: `send-herald-threads-${threads}`,
      part: 'send',
      name: `herald sendMany, main + ${threads} worker thread${threads > 1 ? 's' : ''}`,
      script: 'send-herald.mjs',
      config: { threads },
      tls: '@herald/webpush: createUndiciTransport({ connect: { ca: cert } })',
    })),
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
 * Ratios printed last, in messages per second: the fastest of the contenders whose id `ours`
 * accepts against the fastest of those `theirs` accepts.
 */
export const goals = [
  {
    label: 'request building: buildPushRequest / generateRequestDetails',
    ours: (id) => id === 'build-herald',
    theirs: (id) => id === 'build-web-push',
    atLeast: 3.5,
  },
  {
    label: 'sending, one thread: sendMany / best sendNotification',
    ours: (id) => id === 'send-herald',
    theirs: (id) => id.startsWith('send-web-push-'),
    atLeast: 3.5,
  },
  {
    label: 'sending, worker threads: best sendMany / best sendNotification',
    ours: (id) => id.startsWith('send-herald-threads-'),
    theirs: (id) => id.startsWith('send-web-push-'),
  },
  {
    label: 'sending, worker threads / one thread: best sendMany / sendMany',
    ours: (id) => id.startsWith('send-herald-threads-'),
    theirs: (id) => id === 'send-herald',
  },
  {
    label: 'encryption alone (no goal: the floor of request building)',
    ours: (id) => id === 'encrypt-herald',
    theirs: (id) => id === 'encrypt-web-push',
  },
];
