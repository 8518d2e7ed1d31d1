// Run as a child process by callTimeout.test.ts: makes one call to the URL
// in argv[2] (model argv[3]), cancels it when a line arrives on stdin, prints
// the error and then does nothing more. The process must exit by itself:
// anything the cancelled call left behind (a timer, a socket) keeps it alive.
import { createConnector } from '../../src/core/connectors';

const [uri = '', model = ''] = process.argv.slice(2);
const abort = new AbortController();
process.stdin.once('data', () => {
  abort.abort();
  process.stdin.destroy();
});
createConnector({
  id: 'x',
  name: 'x',
  connector_type: 'openai-connector',
  uri,
  token: 'sk-x',
  max_calls_per_second: 100,
  max_concurrency: 10,
  model,
  params: { timeout: 5, max_attempts: 3 },
})
  .complete({ messages: [{ role: 'user', content: 'x' }], signal: abort.signal })
  .then(
    () => console.log('answered'),
    (err: Error) => console.log(err.message),
  );
