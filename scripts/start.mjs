// `npm start`: runs the Herald server with SQLite in ./data and no other setup (a VAPID key pair
// and an admin API key are generated on first start). Arguments are passed to `herald serve`.
let main;
try {
  ({ main } = await import('@herald/server/cli'));
} catch (error) {
  console.error(`Herald is not built (${error.message}). Run: npm install (or npm run build)`);
  process.exit(1);
}
process.exitCode = await main(['serve', ...process.argv.slice(2)]);
