// Which connector types exist and how an endpoint becomes a Connector.
import { CoreError } from '../errors';
import { createAzureConnector } from './azure';
import { createEchoConnector } from './echo';
import { createOpenAIConnector } from './openai';
import type { Connector, ResolvedEndpoint } from './types';

export const SUPPORTED_CONNECTOR_TYPES = ['openai-connector', 'azure-openai-connector', 'echo'] as const;
export type SupportedConnectorType = (typeof SUPPORTED_CONNECTOR_TYPES)[number];

const FACTORIES: Record<SupportedConnectorType, (endpoint: ResolvedEndpoint) => Connector> = {
  'openai-connector': createOpenAIConnector,
  'azure-openai-connector': createAzureConnector,
  echo: createEchoConnector,
};

export function isSupportedConnectorType(type: string): type is SupportedConnectorType {
  return Object.prototype.hasOwnProperty.call(FACTORIES, type);
}

/** Why an endpoint of this type cannot be used, or undefined when it can. */
export function unsupportedReason(connectorType: string): string | undefined {
  if (isSupportedConnectorType(connectorType)) return undefined;
  const name = connectorType.trim() ? `"${connectorType}"` : '(empty)';
  return (
    `Connector type ${name} is not supported; supported types are ${SUPPORTED_CONNECTOR_TYPES.join(', ')}` +
    ' (an OpenAI-compatible service can use openai-connector with its base URL).'
  );
}

/** Throws, with unsupportedReason's sentence, for a type that is not supported. */
export function createConnector(endpoint: ResolvedEndpoint): Connector {
  if (!isSupportedConnectorType(endpoint.connector_type)) {
    throw new CoreError('unsupported', unsupportedReason(endpoint.connector_type)!);
  }
  return FACTORIES[endpoint.connector_type](endpoint);
}

export { ConnectorError, describeError, toConnectorError, type FailureKind } from './errors';
export { EndpointLimiters, Limiter, type LimiterLimits } from './limiter';
export { ConnectorCache } from './connectorCache';
export type * from './types';
export { NON_MODEL_PARAMS } from './types';
