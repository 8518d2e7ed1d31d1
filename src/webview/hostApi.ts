// What both webviews (the chat panel, the results matrix) have of VS Code's
// webview API: the one handle (acquireVsCodeApi may be called only once per
// webview) and posting a message checked against its protocol's schema, so a
// bug shows as a warning in the webview's console rather than as a message
// the host has to reject.
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const hostApi = acquireVsCodeApi();

/** A protocol's schema, as zod/mini gives it. */
interface MessageSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: unknown } };
}

export function postChecked<T>(schema: MessageSchema<T>, message: T): void {
  const parsed = schema.safeParse(message);
  if (!parsed.success) {
    console.warn('[moonshot] not sending an invalid message', message, parsed.error.issues);
    return;
  }
  hostApi.postMessage(parsed.data);
}
