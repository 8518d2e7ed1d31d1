// One connector (and so one SDK client, with its connection pool) per
// endpoint, kept for as long as the endpoint's resolved config stays the
// same. Building an OpenAI client on every call cost each prompt its
// construction and a fresh connection; a changed uri, token, model or param
// must still take effect at the next call, so the key is the whole config.
import type { Connector, ResolvedEndpoint } from './types';

export class ConnectorCache {
  private readonly byId = new Map<string, { config: string; connector: Connector }>();

  constructor(private readonly create: (endpoint: ResolvedEndpoint) => Connector) {}

  /** The endpoint's connector: the one made before if its config is unchanged, else a new one. */
  get(endpoint: ResolvedEndpoint): Connector {
    // The token is part of the config: a new token must never reuse a client built with the old one.
    const config = JSON.stringify(endpoint);
    const known = this.byId.get(endpoint.id);
    if (known?.config === config) return known.connector;
    const connector = this.create(endpoint);
    this.byId.set(endpoint.id, { config, connector });
    return connector;
  }
}
