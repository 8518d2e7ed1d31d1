// Entry point of the results matrix's webview (bundled to out/matrix.js).
import './zodConfig';
import { HostMessageSchema } from '../shared/matrixProtocol';
import { App } from './app';
import { post } from './host';

const root = document.getElementById('matrix') ?? document.body.appendChild(document.createElement('div'));
const app = new App(root);

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = HostMessageSchema.safeParse(event.data);
  if (!parsed.success) {
    console.warn('[moonshot] dropping an invalid message from the host', event.data, parsed.error.issues);
    return;
  }
  app.handle(parsed.data);
});

post({ type: 'ready' });
