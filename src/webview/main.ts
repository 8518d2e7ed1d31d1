// Entry point of the chat panel's webview (bundled to out/webview.js).
import './zodConfig';
import { HostMessageSchema } from '../shared/chatProtocol';
import { App } from './app';
import { post } from './vscodeApi';

const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
root.id = 'app';
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
