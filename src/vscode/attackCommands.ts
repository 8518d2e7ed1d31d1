// Start Attack (a guided flow: the chain of modules in order, the prompt or
// topic, the attacker endpoint when a module needs a model, then options)
// and Cancel Attack. A started attack shows in the session's chat panel
// (variant rows, a progress bar) and as a cancellable progress notification.
import * as vscode from 'vscode';
import { ATTACK_MODULES } from '../core/attacks';
import type { AttackEvent } from '../core/attackRuns';
import type { Core } from '../core/openCore';
import { isCoreError } from '../core/errors';
import { MAX_ATTACK_CHAIN, MAX_PROMPT_CHARS, type Attack, type SessionMetadata } from '../core/schemas';
import {
  attackBody,
  attackFields,
  fieldValue,
  noChoices,
  parseFieldValue,
  setFieldValue,
  valueText,
  type AttackChoices,
  type AttackField,
} from './attackForm';
import { notify, offerCommand, type CommandTable } from './commands';
import { unlessBack, type Step } from './flow';
import type { ChatPanelHost } from './sessionCommands';
import type { SessionArg, SessionPicker } from './sessionPicker';
import type { UserInput } from './userInput';
import { attackOutcomeText, attackProgressText, chainText } from '../shared/attackProgress';

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

/** The module that writes prompts from a topic: only first in a chain. */
const FROM_TOPIC = 'malicious_question_generator';
const START = Symbol('start');
const DONE = Symbol('done');

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class AttackCommands {
  constructor(
    private readonly core: Core,
    private readonly panels: ChatPanelHost,
    private readonly picker: SessionPicker,
    private readonly input: () => UserInput,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  handlers(): Pick<CommandTable, 'startAttack' | 'cancelAttack'> {
    return {
      startAttack: (arg?: SessionArg) => this.startAttack(arg),
      cancelAttack: (arg?: SessionArg) => this.cancelAttack(arg),
    };
  }

  /** Asks for the attack, starts it and resolves with it as it starts (it goes on in the background). */
  async startAttack(arg?: SessionArg): Promise<Attack | undefined> {
    const d = { chain: [] as string[], prompt: '', topic: '', attacker: undefined as string | undefined, choices: noChoices() };
    const usable = (await this.core.endpoints.list()).filter((v) => v.supported);
    const needsModel = () => d.chain.some((m) => ATTACK_MODULES.find((x) => x.name === m)?.needs_model);
    const fromTopic = () => d.chain[0] === FROM_TOPIC;
    let title = 'Start Attack';

    const moduleStep = (k: number): Step => async (ask) => {
      const chainText = d.chain.slice(0, k).join(' → ');
      const items: Item<string | typeof DONE>[] = [
        ...(k > 0 ? [{ label: '$(play) Use this chain', description: chainText, value: DONE as typeof DONE, alwaysShow: true }] : []),
        ...ATTACK_MODULES.filter((m) => k === 0 || m.name !== FROM_TOPIC).map((m) => ({
          label: m.name,
          description: m.needs_model ? 'needs an attacker model' : '',
          detail: m.description,
          value: m.name,
          picked: d.chain[k] === m.name,
        })),
      ];
      const picked = await ask.pick({
        title,
        matchOnDetail: true,
        placeHolder:
          k === 0
            ? 'The first attack module (more can follow: each one is applied to the variants of the one before)'
            : `Chain so far: ${chainText}. Add a module, or use this chain`,
        items,
      });
      if (picked.value === DONE) {
        d.chain = d.chain.slice(0, k);
        return promptStep;
      }
      d.chain = [...d.chain.slice(0, k), picked.value];
      return d.chain.length >= MAX_ATTACK_CHAIN ? promptStep : moduleStep(k + 1);
    };

    const promptStep: Step = async (ask) => {
      if (fromTopic()) {
        d.topic = await ask.input({
          title,
          prompt: `What ${FROM_TOPIC} writes questions about (the attacker model writes them)`,
          placeHolder: 'Topic, e.g. picking locks',
          value: d.topic,
          validate: (v) => {
            if (v.trim() === '') return 'Type a topic';
            return v.trim().length > 1000 ? 'At most 1000 characters' : undefined;
          },
        });
      } else {
        d.prompt = await ask.input({
          title,
          prompt: `The prompt the chain ${d.chain.join(' → ')} turns into variants; each variant goes to every endpoint of the session`,
          placeHolder: 'Prompt to attack with',
          value: d.prompt,
          validate: (v) => {
            if (v.trim() === '') return 'Type a prompt';
            return v.length > MAX_PROMPT_CHARS ? `At most ${MAX_PROMPT_CHARS} characters` : undefined;
          },
        });
      }
      return needsModel() ? attackerStep : optionsStep;
    };

    const attackerStep: Step = async (ask) => {
      const modelModules = d.chain.filter((m) => ATTACK_MODULES.find((x) => x.name === m)?.needs_model);
      const picked = await ask.pick({
        title,
        placeHolder: `The attacker endpoint: the model that ${modelModules.join(' and ')} asks to write the variants`,
        items: usable.map((v): Item<string> => ({
          label: v.name,
          description: v.id,
          detail: [v.connector_type, v.model].filter(Boolean).join(' · '),
          value: v.id,
          picked: v.id === d.attacker,
        })),
      });
      d.attacker = picked.value;
      return optionsStep;
    };

    const optionsStep: Step = async (ask) => {
      const fields = attackFields(d.chain);
      const summary = fields
        .map((f) => `${f.module === null ? f.label.toLowerCase() : f.key} ${valueText(fieldValue(d.choices, f) ?? f.defaultText)}`)
        .join(' · ');
      const items: Item<AttackField | typeof START>[] = [
        { label: '$(play) Start the attack', description: summary, value: START, alwaysShow: true },
        ...fields.map((f) => {
          const set = fieldValue(d.choices, f);
          return {
            label: f.label,
            description: set === undefined ? `${f.defaultText} (default)` : valueText(set),
            detail: f.description,
            value: f,
          };
        }),
      ];
      const picked = await ask.pick({ title, placeHolder: 'Start, or change an option first', items });
      if (picked.value === START) return;
      const field = picked.value;
      await unlessBack(this.askField(ask, title, field, d.chain, d.choices));
      return optionsStep;
    };

    const first = moduleStep(0);
    const session = await this.picker.withSession(
      arg,
      'Attack which session?',
      (s) => {
        title = `Start Attack on "${s.name}"`;
        return first;
      },
      // A module at least, "use this chain" (unless the chain is full), the prompt, the options.
      () => Math.max(1, d.chain.length) + (d.chain.length < MAX_ATTACK_CHAIN ? 1 : 0) + 2 + (needsModel() ? 1 : 0),
    );
    if (!session) return undefined;
    const body = attackBody({
      chain: d.chain,
      ...(fromTopic() ? { topic: d.topic } : { prompt: d.prompt }),
      ...(needsModel() && d.attacker ? { attacker: d.attacker } : {}),
      choices: d.choices,
    });
    let attack: Attack;
    try {
      attack = await this.core.attacks.start(session.session_id, body);
    } catch (err) {
      if (!isCoreError(err, 'conflict')) throw err;
      notify(this.input(), 'warning', err.message, offerCommand('Cancel It', 'cancelAttack', session.session_id));
      return undefined;
    }
    this.log.info(`Started attack ${attack.attack_id} (${attack.attack_modules.join('+')}) on ${session.session_id}`);
    await this.panels.open(session.session_id);
    this.follow(session, attack);
    return attack;
  }

  /** Asks a value for one option (a pick for yes/no and lists); Back leaves it as it was. */
  private async askField(
    ask: Parameters<Step>[0],
    title: string,
    field: AttackField,
    chain: readonly string[],
    choices: AttackChoices,
  ): Promise<void> {
    const current = fieldValue(choices, field);
    if (field.kind === 'boolean') {
      const on = current === undefined ? field.defaultText === 'yes' : current === true;
      const picked = await ask.pick({
        title,
        placeHolder: `${field.label}: ${field.description}`,
        items: [
          { label: 'yes', value: true, picked: on },
          { label: 'no', value: false, picked: !on },
        ],
      });
      setFieldValue(choices, field, picked.value);
      return;
    }
    if (field.kind === 'choices') {
      const now = Array.isArray(current) ? (current as string[]) : field.defaultText.split(', ');
      let empty = false;
      for (;;) {
        const picked: Item<string>[] = await ask.pickMany({
          title,
          placeHolder: empty ? `${field.label}: pick at least one (Space selects)` : `${field.label}: ${field.description}`,
          items: (field.choices ?? []).map((c): Item<string> => ({ label: c, value: c, picked: now.includes(c) })),
        });
        empty = picked.length === 0;
        if (!empty) {
          setFieldValue(choices, field, picked.map((p) => p.value));
          return;
        }
      }
    }
    // A shared field starts empty (each module's own default); a module's option at its default.
    let value = field.module === null ? '' : field.defaultText;
    if (current !== undefined) value = valueText(current);
    const text = await ask.input({
      title,
      prompt: `${field.label}: ${field.description}`,
      value,
      placeHolder: field.module === null ? `default: ${field.defaultText}` : undefined,
      validate: (v) => {
        if (field.module === null && v.trim() === '') return undefined;
        const parsed = parseFieldValue(field, chain, v);
        return 'problem' in parsed ? parsed.problem : undefined;
      },
    });
    // An empty shared field goes back to each module's own default.
    if (field.module === null && text.trim() === '') {
      delete choices.shared[field.key as 'seed' | 'num_variants'];
      return;
    }
    const parsed = parseFieldValue(field, chain, text);
    if ('value' in parsed) setFieldValue(choices, field, parsed.value);
  }

  /** The attack's progress as a cancellable notification, then what came of it. */
  private follow(session: SessionMetadata, started: Attack): void {
    void vscode.window
      .withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Moonshot: attack ${chainText(started)} on "${session.name}"`,
          cancellable: true,
        },
        (progress, token) =>
          new Promise<Attack>((resolve) => {
            let shown = 0;
            const report = (attack: Attack) => {
              const share = attack.total > 0 ? (attack.done / attack.total) * 100 : 0;
              progress.report({ message: attackProgressText(attack), increment: share - shown });
              shown = share;
            };
            const end = (attack: Attack) => {
              sub.dispose();
              cancel.dispose();
              resolve(attack);
            };
            const sub = this.core.attacks.onDidChange((e: AttackEvent) => {
              if (e.attack.attack_id !== started.attack_id) return;
              if (e.type === 'ended') end(e.attack);
              else report(e.attack);
            });
            const cancel = token.onCancellationRequested(() => {
              this.core.attacks
                .cancel(session.session_id, started.attack_id)
                .catch((err: unknown) => this.log.warn(`Cancel attack ${started.attack_id}: ${(err as Error).message}`));
            });
            report(started);
            // Ended before this listened (a tiny attack): what the service says now is the end.
            if (this.core.attacks.running(session.session_id)?.attack_id !== started.attack_id) {
              void this.core.attacks.get(session.session_id, started.attack_id).then(end, () => end(started));
            }
          }),
      )
      .then((attack) => this.ended(session, attack));
  }

  private ended(session: SessionMetadata, attack: Attack): void {
    const what = `Attack ${chainText(attack)} on "${session.name}" ${attackOutcomeText(attack)}`;
    this.log.info(`Attack ${attack.attack_id} on ${attack.session_id}: ${attack.status}${attack.error ? `: ${attack.error}` : ''}`);
    if (attack.status === 'done' || attack.status === 'cancelled') this.input().status(what);
    else notify(this.input(), 'error', what, offerCommand('Show Log', 'showLog'));
  }

  /** Cancels the attack running on the session (the panel's, or one picked among those with an attack running). */
  async cancelAttack(arg?: SessionArg): Promise<Attack | undefined> {
    let session = await this.picker.given(arg);
    if (!session && !arg) {
      const active = this.panels.active?.sessionId;
      const runningIds = (await this.core.sessions.list()).filter((s) => this.core.attacks.running(s.session_id));
      session = runningIds.find((s) => s.session_id === active) ?? (runningIds.length === 1 ? runningIds[0] : undefined);
      if (!session && runningIds.length > 1) session = await this.picker.resolve(undefined, 'Cancel the attack on which session?');
      if (!session && runningIds.length === 0) {
        this.input().status('No attack is running');
        return undefined;
      }
    }
    if (!session) return undefined;
    const running = this.core.attacks.running(session.session_id);
    if (!running) {
      this.input().status(`No attack is running on "${session.name}"`);
      return undefined;
    }
    const attack = await this.core.attacks.cancel(session.session_id, running.attack_id);
    this.input().status(`Cancelled the attack on "${session.name}" at ${attack.done} of ${plural(attack.total, 'answer')}`);
    return attack;
  }
}

/** Keeps the context key `moonshotSessions.attackRunning` (Cancel Attack's `when`) true while an attack of this window runs. */
export function followRunningAttacks(core: Core): vscode.Disposable {
  const running = new Set<string>();
  const sub = core.attacks.onDidChange((e) => {
    const before = running.size > 0;
    if (e.type === 'ended') running.delete(e.attack.attack_id);
    else running.add(e.attack.attack_id);
    if (before !== running.size > 0) void vscode.commands.executeCommand('setContext', 'moonshotSessions.attackRunning', running.size > 0);
  });
  return { dispose: () => sub.dispose() };
}
