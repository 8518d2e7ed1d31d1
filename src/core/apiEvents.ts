// The events of GET /v1/events: what the session service and the attack
// runs report, in the API's words (snake_case types and keys), kept in the
// core's EventLog so that a client reconnecting with Last-Event-ID replays
// what it missed, also across a restart of the API server.
import type { AttackService } from './attackRuns';
import type { RunService } from './runs';
import type { Disposable } from './emitter';
import type { EventLog } from './eventLog';
import type { SessionEvent, SessionService } from './sessions';

export const API_EVENT_TYPES = [
  'session_created',
  'session_updated',
  'session_deleted',
  'prompt_started',
  'delta',
  'record',
  'score',
  'attack_progress',
  'attack_ended',
  'run_progress',
  'run_ended',
] as const;
export type ApiEventType = (typeof API_EVENT_TYPES)[number];

/** Every event names its session, so a client can follow one. */
export interface ApiEventData {
  session_id: string;
  [key: string]: unknown;
}

export type ApiEventLog = EventLog<ApiEventData>;

/** The API event of a session event; undefined for those the API does not send (queue moves, reloads). */
export function apiEventOf(event: SessionEvent): { type: ApiEventType; data: ApiEventData } | undefined {
  switch (event.type) {
    case 'created':
      return { type: 'session_created', data: { session_id: event.session.session_id, session: event.session } };
    case 'updated':
      return { type: 'session_updated', data: { session_id: event.session.session_id, session: event.session } };
    case 'deleted':
      return { type: 'session_deleted', data: { session_id: event.sessionId } };
    case 'promptStarted':
      return {
        type: 'prompt_started',
        data: { session_id: event.sessionId, prompt_id: event.promptId, prompt: event.prompt, chat_ids: event.chatIds },
      };
    case 'delta':
      return { type: 'delta', data: { session_id: event.sessionId, prompt_id: event.promptId, chat_id: event.chatId, text: event.text } };
    case 'record':
      return {
        type: 'record',
        data: { session_id: event.sessionId, prompt_id: event.promptId, chat_id: event.chatId, record: event.record },
      };
    case 'score':
      return {
        type: 'score',
        data: {
          session_id: event.sessionId,
          prompt_id: event.promptId ?? null,
          chat_id: event.chatId,
          chat_record_id: event.chatRecordId,
          metric: event.metric,
        },
      };
    default:
      return undefined;
  }
}

/** Appends every session, attack and run event to `log` until disposed. */
export function feedEventLog(log: ApiEventLog, sessions: SessionService, attacks: AttackService, runs?: RunService): Disposable {
  const subscriptions = [
    sessions.onDidChange((event) => {
      const api = apiEventOf(event);
      if (api) log.append(api.type, api.data);
    }),
    attacks.onDidChange((event) => log.append(event.type === 'progress' ? 'attack_progress' : 'attack_ended', event.attack)),
    ...(runs ? [runs.onDidChange((event) => log.append(event.type === 'progress' ? 'run_progress' : 'run_ended', event.run))] : []),
  ];
  return { dispose: () => subscriptions.forEach((s) => s.dispose()) };
}
