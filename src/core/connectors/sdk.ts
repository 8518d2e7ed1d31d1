// The OpenAI SDK is loaded on the first model call, not when the extension
// starts: most of a session's work (reading histories, the API, the panel)
// needs none of it. The shipped bundles take it from out/chunks/openai.js
// (esbuild.mjs). Everything here asks for it through this module.
import type * as OpenAISdk from 'openai';

export type Sdk = typeof OpenAISdk;

let loaded: Sdk | undefined;
let loading: Promise<Sdk> | undefined;

export function loadSdk(): Promise<Sdk> {
  loading ??= import('openai').then((sdk) => (loaded = sdk));
  return loading;
}

/**
 * The SDK once a call has loaded it. An error can be one of the SDK's only
 * if it is loaded, so an error from before that is no SDK error.
 */
export function loadedSdk(): Sdk | undefined {
  return loaded;
}
