// `azure-openai-connector`: Azure OpenAI deployments (`model` is the
// deployment name), through the SDK's AzureOpenAI client.
import { ChatStreamConnector, sdkOptions, withReadableErrors } from './chatStream';
import { ConnectorError } from './errors';
import { callSettings } from './callSettings';
import { loadSdk } from './sdk';
import type { Connector, ResolvedEndpoint } from './types';

/** The latest GA data-plane version when this was written; `params.api_version` overrides it. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

let clientClass: ReturnType<typeof loadClientClass> | undefined;
const loadClientClass = () => loadSdk().then((sdk) => withReadableErrors(sdk.AzureOpenAI));

export function createAzureConnector(endpoint: ResolvedEndpoint): Connector {
  const settings = callSettings(endpoint);
  const problem = !endpoint.uri.trim()
    ? `Azure OpenAI endpoint "${endpoint.name}" has no uri; set it to https://<resource>.openai.azure.com/`
    : !endpoint.token
      ? `Azure OpenAI endpoint "${endpoint.name}" has no API key (token)`
      : undefined;
  // A misconfigured endpoint still loads; each call fails with the reason, which lands in the record.
  if (problem) return { complete: () => Promise.reject(new ConnectorError('config', problem)) };

  const { api_version } = endpoint.params;
  const makeClient = async () => {
    const Client = await (clientClass ??= loadClientClass());
    return new Client({
      ...sdkOptions(settings),
      // baseURL rather than `endpoint`: the SDK would otherwise also read OPENAI_BASE_URL and refuse both.
      baseURL: azureBaseURL(endpoint.uri),
      apiKey: endpoint.token,
      apiVersion: typeof api_version === 'string' && api_version ? api_version : AZURE_DEFAULT_API_VERSION,
      deployment: settings.model,
    });
  };
  return new ChatStreamConnector(makeClient, settings, [endpoint.token]);
}

/** Accepts the resource URL with or without `/openai/...` after it. */
export function azureBaseURL(uri: string): string {
  const resource = uri.trim().replace(/\/openai(\/.*)?$/, '').replace(/\/+$/, '');
  return `${resource}/openai`;
}
