// The chat panel's door to the extension host: its messages checked against
// the panel protocol (hostApi.ts), and the state kept across reloads.
import { PanelStateSchema, WebviewMessageSchema } from '../shared/chatProtocol';
import type { PanelState, WebviewMessage } from '../shared/chatProtocol';
import { hostApi, postChecked } from './hostApi';

export function post(message: WebviewMessage): void {
  postChecked(WebviewMessageSchema, message);
}

/** The state saved by an earlier load of this panel, if it is still readable. */
export function loadPanelState(): PanelState | null {
  const parsed = PanelStateSchema.safeParse(hostApi.getState());
  return parsed.success ? parsed.data : null;
}

export function savePanelState(state: PanelState): void {
  hostApi.setState(state);
}
