// The one door to the extension host. Outgoing messages are checked against
// the shared schema so a bug here shows up as a warning in the webview's
// console rather than as a message the host has to reject.
import { PanelStateSchema, WebviewMessageSchema } from '../shared/chatProtocol';
import type { PanelState, WebviewMessage } from '../shared/chatProtocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

// acquireVsCodeApi may be called only once per webview.
const api = acquireVsCodeApi();

export function post(message: WebviewMessage): void {
  const parsed = WebviewMessageSchema.safeParse(message);
  if (!parsed.success) {
    console.warn('[moonshot] not sending an invalid message', message, parsed.error.issues);
    return;
  }
  api.postMessage(parsed.data);
}

/** The state saved by an earlier load of this panel, if it is still readable. */
export function loadPanelState(): PanelState | null {
  const parsed = PanelStateSchema.safeParse(api.getState());
  return parsed.success ? parsed.data : null;
}

export function savePanelState(state: PanelState): void {
  api.setState(state);
}
