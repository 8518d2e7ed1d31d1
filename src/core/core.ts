// Builds the parts of the core that belong together, on one storage folder.
import { join } from 'node:path';
import { SessionStore } from './store';
import { EndpointRegistry, type EndpointSource } from './endpoints';
import { PromptTemplateRegistry } from './templates';
import { SessionService } from './sessions';
import { EndpointLimiters } from './connectors';
import type { SecretStore } from './secrets';
import type { Connector, ResolvedEndpoint } from './connectors/types';

export interface CoreOptions {
  storageDir: string;
  endpointSources: readonly EndpointSource[];
  promptTemplateFolders: readonly string[];
  secrets: SecretStore;
  connectorFor?: (endpoint: ResolvedEndpoint) => Connector;
}

export interface Core {
  storageDir: string;
  store: SessionStore;
  endpoints: EndpointRegistry;
  templates: PromptTemplateRegistry;
  sessions: SessionService;
}

export async function openCore(options: CoreOptions): Promise<Core> {
  const store = new SessionStore(options.storageDir);
  const endpoints = new EndpointRegistry(options.endpointSources, options.secrets, join(options.storageDir, 'endpoints'));
  const templates = new PromptTemplateRegistry(options.promptTemplateFolders);
  await Promise.all([endpoints.load(), templates.load()]);
  const sessions = new SessionService({
    store,
    endpoints,
    templates,
    limiters: new EndpointLimiters(),
    ...(options.connectorFor ? { connectorFor: options.connectorFor } : {}),
  });
  return { storageDir: options.storageDir, store, endpoints, templates, sessions };
}
