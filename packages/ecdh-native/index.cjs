'use strict';
// The compiled addon, or `derive: undefined` with the reason when it was not built or does not
// load (another Node ABI, a runtime without Node-API).
let binding;
let loadError;
try {
  binding = require('./build/Release/ecdh.node');
} catch (error) {
  loadError = error;
}
module.exports = { derive: binding?.derive, loadError };
