'use strict';
// Run by `npm install` when node-gyp could not compile the addon (no C compiler or Node headers):
// the install goes on, and @herald/webpush does its key agreements with node:crypto instead, at
// about half the speed.
console.warn(
  '@herald/ecdh-native: the addon was not built (see the node-gyp output above); ' +
    '@herald/webpush falls back to node:crypto for its key agreements.',
);
