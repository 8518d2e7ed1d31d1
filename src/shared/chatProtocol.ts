// The messages between the chat panel's host (extension) and its webview.
// One zod discriminated union per direction; each side parses what arrives
// with safeParse and drops what does not fit, because a webview is a
// separate, less trusted context.
import { z } from 'zod';
import { ChatRecordSchema } from '../core/schemas';

export const ColumnSchema = z.object({
  chatId: z.string(),
  endpointId: z.string(),
  endpointName: z.string(),
  model: z.string(),
  /** The endpoint is no longer configured: the history shows, new prompts fail. */
  missing: z.boolean(),
});
export type Column = z.infer<typeof ColumnSchema>;

export const SessionInfoSchema = z.object({
  sessionId: z.string(),
  name: z.string(),
  description: z.string(),
  promptTemplate: z.string().nullable(),
  contextStrategy: z.string().nullable(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/** An answer streaming in right now. */
export const PendingSchema = z.object({ promptId: z.string(), chatId: z.string(), prompt: z.string(), text: z.string() });
export type Pending = z.infer<typeof PendingSchema>;

export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    session: SessionInfoSchema,
    columns: z.array(ColumnSchema),
    /** The newest records of each chat, oldest first; older ones come with `olderRecords`. */
    records: z.record(z.string(), z.array(ChatRecordSchema)),
    hasMore: z.record(z.string(), z.boolean()),
    pending: z.array(PendingSchema),
    /** Earlier prompts of this session, oldest first, for Up/Down recall. */
    promptHistory: z.array(z.string()),
  }),
  z.object({ type: z.literal('olderRecords'), chatId: z.string(), records: z.array(ChatRecordSchema), hasMore: z.boolean() }),
  z.object({ type: z.literal('promptStarted'), promptId: z.string(), prompt: z.string(), chatIds: z.array(z.string()) }),
  z.object({ type: z.literal('delta'), promptId: z.string(), chatId: z.string(), text: z.string() }),
  z.object({ type: z.literal('record'), promptId: z.string(), chatId: z.string(), record: ChatRecordSchema }),
  z.object({ type: z.literal('promptFinished'), promptId: z.string() }),
  z.object({ type: z.literal('sessionUpdated'), session: SessionInfoSchema }),
  z.object({ type: z.literal('sessionDeleted') }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), message: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

export const PanelCommandSchema = z.enum(['export', 'setTemplate', 'clearTemplate', 'setStrategy', 'clearStrategy']);
export type PanelCommand = z.infer<typeof PanelCommandSchema>;

export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('sendPrompt'), prompt: z.string().min(1).max(100_000) }),
  /** Stops one chat's call in flight, or all of them when chatId is absent. */
  z.object({ type: z.literal('stop'), chatId: z.string().optional() }),
  /** Re-sends a prompt to one chat only. */
  z.object({ type: z.literal('retry'), chatId: z.string(), prompt: z.string().min(1).max(100_000) }),
  z.object({ type: z.literal('loadOlder'), chatId: z.string(), beforeRecordId: z.number().int().positive() }),
  z.object({ type: z.literal('copy'), text: z.string() }),
  z.object({ type: z.literal('insert'), text: z.string() }),
  z.object({ type: z.literal('openLink'), href: z.string() }),
  z.object({ type: z.literal('command'), command: PanelCommandSchema }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;

/** What the webview keeps across reloads (vscode.setState), and the serializer revives from. */
export const PanelStateSchema = z.object({
  sessionId: z.string(),
  layout: z.enum(['columns', 'stacked']).default('columns'),
  /** Per chat, the last record id hidden by "Clear view" (the history itself is untouched). */
  clearedThrough: z.record(z.string(), z.number()).default({}),
});
export type PanelState = z.infer<typeof PanelStateSchema>;

export const PAGE_SIZE = 50;
