// `openai-connector`: any OpenAI-compatible server (OpenAI, Ollama, LM Studio,
// vLLM, llama.cpp ...).
import { ChatStreamConnector, sdkOptions, withReadableErrors } from './chatStream';
import { callSettings } from './callSettings';
import { loadSdk } from './sdk';
import type { Connector, ResolvedEndpoint } from './types';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Local servers need no key, but the SDK refuses to start without one. */
const NO_KEY = 'no-key-required';

let clientClass: ReturnType<typeof loadClientClass> | undefined;
const loadClientClass = () => loadSdk().then((sdk) => withReadableErrors(sdk.OpenAI));

export function createOpenAIConnector(endpoint: ResolvedEndpoint): Connector {
  const settings = callSettings(endpoint);
  const makeClient = async () => {
    const Client = await (clientClass ??= loadClientClass());
    return new Client({
      ...sdkOptions(settings),
      // Explicit, so OPENAI_BASE_URL / OPENAI_API_KEY in the environment never redirect an endpoint.
      baseURL: openAIBaseURL(endpoint.uri),
      apiKey: endpoint.token || NO_KEY,
    });
  };
  return new ChatStreamConnector(makeClient, settings, [endpoint.token]);
}

/**
 * The SDK appends `/chat/completions` itself; people often paste the full
 * URL (Moonshot's HuggingFace endpoint does), which would double it.
 */
export function openAIBaseURL(uri: string): string {
  const base = uri.trim().replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
  return base || OPENAI_DEFAULT_BASE_URL;
}
