// `npm start`: runs Herald. Until the server package exists (issue 4) it lists what is here.
console.log(`Herald is under construction. Available now:
  @herald/webpush   the Web Push protocol library (packages/webpush)
Run the tests with: npm test`);
