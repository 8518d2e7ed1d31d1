// Set Judge (the judge that scores every new answer of a session), Clear
// Judge and Score Records (score the answers already there, with a judge
// picked now). Both ask the same questions: the judge, its endpoint when it
// needs a model, its rubric (rubric_judge) or threshold (harm_scale).
import * as vscode from 'vscode';
import type { Core } from '../core/openCore';
import { JUDGES } from '../core/judges';
import type { EndpointView, JudgeRequest, ScoreAccepted, SessionJudge } from '../core/schemas';
import { notify, offerCommand, type CommandTable } from './commands';
import type { Ask, Step } from './flow';
import type { SessionArg, SessionPicker } from './sessionPicker';
import type { UserInput } from './userInput';

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

const MAX_RUBRIC_CHARS = 10_000;

/** What the judge questions fill in. */
interface JudgeDraft {
  metric: string;
  endpoint: string | undefined;
  rubric: string;
  threshold: string;
}

const needsModel = (metric: string) => JUDGES.find((j) => j.name === metric)?.needs_model ?? false;

/** The request for setJudge / scoreRecords from what was answered. */
function judgeRequest(d: JudgeDraft): JudgeRequest {
  const options = OPTIONS_OF[d.metric]?.(d);
  return {
    metric: d.metric,
    ...(needsModel(d.metric) && d.endpoint ? { judge_endpoint: d.endpoint } : {}),
    ...(options ? { options } : {}),
  };
}

/** The options of the judges that have some, from what was answered. */
const OPTIONS_OF: Readonly<Record<string, (d: JudgeDraft) => Record<string, unknown>>> = {
  rubric_judge: (d) => ({ rubric: d.rubric.trim() }),
  harm_scale: (d) => ({ threshold: Number(d.threshold) }),
};

const judgeText = (j: SessionJudge | { name: string; judge_endpoint: string | null }) =>
  j.judge_endpoint ? `${j.name} (judge: ${j.judge_endpoint})` : j.name;

interface JudgeStepOptions {
  title: () => string;
  placeHolder: string;
  usable: readonly EndpointView[];
  current: () => Promise<SessionJudge | null>;
  /** The answers start from the session's judge (Set Judge). */
  prefill?: boolean;
  /** The session's judge is the first item and needs nothing more (Score Records). */
  offerCurrent?: boolean;
}

/** The item of Score Records' list that stands for the session's own judge. */
const SESSION_JUDGE = '\u0000session';

const judgeStepCount = (d: JudgeDraft) => 1 + (needsModel(d.metric) ? 1 : 0) + (OPTIONS_OF[d.metric] ? 1 : 0);

/** A draft with the session's judge as it is (a second Set Judge starts from it). */
function draftOf(judge: SessionJudge | null): JudgeDraft {
  const options = judge?.options ?? {};
  return {
    metric: judge?.name ?? '',
    endpoint: judge?.judge_endpoint ?? undefined,
    rubric: typeof options.rubric === 'string' ? options.rubric : '',
    threshold: typeof options.threshold === 'number' ? String(options.threshold) : '5',
  };
}

export class JudgeCommands {
  constructor(
    private readonly core: Core,
    private readonly picker: SessionPicker,
    private readonly input: () => UserInput,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  handlers(): Pick<CommandTable, 'setJudge' | 'clearJudge' | 'scoreRecords'> {
    return {
      setJudge: (arg?: SessionArg) => this.setJudge(arg),
      clearJudge: (arg?: SessionArg) => this.clearJudge(arg),
      scoreRecords: (arg?: SessionArg) => this.scoreRecords(arg),
    };
  }

  /**
   * The judge's questions as steps, from the pick of the judge; `after`
   * follows the last one. `current` is the session's judge, read when the
   * first step is asked: with `prefill` the answers start from it (Set
   * Judge), with `offerCurrent` it is the first item and needs nothing more
   * (Score Records).
   */
  private judgeSteps(d: JudgeDraft, o: JudgeStepOptions): Step {
    let filled = false;
    const rubricStep: Step = async (ask) => {
      d.rubric = await ask.input({
        title: o.title(),
        prompt: 'The rubric: what a passing answer does (the judge model grades each answer against it)',
        placeHolder: 'e.g. Refuses, and points to professional help',
        value: d.rubric,
        validate: (v) => {
          if (v.trim() === '') return 'Type the rubric';
          return v.trim().length > MAX_RUBRIC_CHARS ? `At most ${MAX_RUBRIC_CHARS} characters` : undefined;
        },
      });
    };
    const thresholdStep: Step = async (ask) => {
      d.threshold = (
        await ask.input({
          title: o.title(),
          prompt: 'The lowest harm rating (1 to 10) that counts as harmful, i.e. a successful attack',
          value: d.threshold,
          validate: (v) => {
            const n = Number(v.trim());
            return v.trim() !== '' && Number.isFinite(n) && n >= 1 && n <= 10 ? undefined : 'A number from 1 to 10';
          },
        })
      ).trim();
    };
    const optionSteps: Record<string, Step> = { rubric_judge: rubricStep, harm_scale: thresholdStep };
    const optionsOf = (metric: string): Step | undefined => optionSteps[metric];
    const endpointStep: Step = async (ask) => {
      const picked = await ask.pick({
        title: o.title(),
        placeHolder: `The judge endpoint: the model ${d.metric} asks to grade each answer`,
        items: o.usable.map((v): Item<string> => ({
          label: v.name,
          description: v.id,
          detail: [v.connector_type, v.model].filter(Boolean).join(' · '),
          value: v.id,
          picked: v.id === d.endpoint,
        })),
      });
      d.endpoint = picked.value;
      return optionsOf(d.metric);
    };
    return async (ask: Ask) => {
      const current = await o.current();
      if (o.prefill && !filled) Object.assign(d, draftOf(current));
      filled = true;
      const own: Item<string>[] =
        o.offerCurrent && current
          ? [{ label: `$(law) ${current.name}`, description: "the session's judge", detail: judgeText(current), value: SESSION_JUDGE }]
          : [];
      const picked = await ask.pick({
        title: o.title(),
        placeHolder: o.placeHolder,
        items: [
          ...own,
          ...JUDGES.map((j): Item<string> => ({
            label: j.name,
            description: j.needs_model ? 'needs a judge model' : 'offline, no model',
            detail: j.description,
            value: j.name,
            picked: own.length === 0 && j.name === d.metric,
          })),
        ],
      });
      if (picked.value === SESSION_JUDGE) {
        Object.assign(d, draftOf(current));
        return undefined;
      }
      d.metric = picked.value;
      return needsModel(d.metric) ? endpointStep : optionsOf(d.metric);
    };
  }

  async setJudge(arg?: SessionArg): Promise<SessionJudge | undefined> {
    const d = draftOf(null);
    const usable = (await this.core.endpoints.list()).filter((v) => v.supported);
    let title = 'Set Judge';
    const session = await this.picker.withSession(
      arg,
      'Set the judge of which session?',
      (s) => {
        title = `Judge for "${s.name}"`;
        return this.judgeSteps(d, {
          title: () => title,
          placeHolder: 'The judge that scores every new answer of this session',
          usable,
          current: () => this.core.sessions.judge(s.session_id),
          prefill: true,
        });
      },
      () => judgeStepCount(d),
    );
    if (!session) return undefined;
    const judge = await this.core.sessions.setJudge(session.session_id, judgeRequest(d));
    this.log.info(`Session ${session.session_id} judge: ${judgeText(judge)}`);
    const existing = (await this.core.sessions.chatSummaries(session.session_id)).reduce((n, c) => n + c.count, 0);
    if (existing > 0) {
      notify(
        this.input(),
        'info',
        `"${session.name}" scores every new answer with ${judgeText(judge)}. Its ${existing} earlier records are not scored yet.`,
        offerCommand('Score Them', 'scoreRecords', session.session_id),
      );
    } else this.input().status(`"${session.name}" scores every new answer with ${judgeText(judge)}`);
    return judge;
  }

  async clearJudge(arg?: SessionArg): Promise<boolean> {
    const session = await this.picker.resolve(arg, 'Clear the judge of which session?');
    if (!session) return false;
    const judge = await this.core.sessions.judge(session.session_id);
    if (!judge) {
      this.input().status(`"${session.name}" has no judge`);
      return false;
    }
    await this.core.sessions.clearJudge(session.session_id, judge.name);
    this.input().status(`"${session.name}" no longer scores new answers (its judge was ${judge.name}); the scores it gave stay`);
    return true;
  }

  /** Scores the session's answers so far (calls that worked) with a judge picked now; the badges come as each is scored. */
  async scoreRecords(arg?: SessionArg): Promise<ScoreAccepted | undefined> {
    const d = draftOf(null);
    const usable = (await this.core.endpoints.list()).filter((v) => v.supported);
    let title = 'Score Records';
    const session = await this.picker.withSession(
      arg,
      'Score the answers of which session?',
      (s) => {
        title = `Score the answers of "${s.name}"`;
        return this.judgeSteps(d, {
          title: () => title,
          placeHolder: 'Score every answer so far with which judge?',
          usable,
          current: () => this.core.sessions.judge(s.session_id),
          offerCurrent: true,
        });
      },
      () => judgeStepCount(d),
    );
    if (!session) return undefined;
    const accepted = await this.core.sessions.scoreRecords(session.session_id, judgeRequest(d));
    this.log.info(`Scoring ${accepted.records} records of ${session.session_id} with ${accepted.metric}`);
    const what = judgeText({ name: accepted.metric, judge_endpoint: accepted.judge_endpoint });
    notify(
      this.input(),
      'info',
      accepted.records === 0
        ? `"${session.name}" has no answers to score yet.`
        : `Scoring ${accepted.records} answer${accepted.records === 1 ? '' : 's'} of "${session.name}" with ${what}: each badge appears ` +
          `in the chat panel as it is scored.`,
    );
    return accepted;
  }
}
