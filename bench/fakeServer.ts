// The fake OpenAI-compatible server in a process of its own, so that a
// benchmark's endpoints do not share the measured process's CPU (real
// model servers do not). Prints its base URL; exits when stdin closes.
import { createInterface } from 'node:readline';
import { startFakeOpenAI } from '../test/support/fakeOpenAI';

void startFakeOpenAI().then((fake) => {
  console.log(fake.url);
  createInterface({ input: process.stdin }).on('close', () => void fake.close().then(() => process.exit(0)));
});
