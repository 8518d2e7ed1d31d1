// The questions of Run Dataset, a guided flow with Back: the dataset (the
// workspace's files a reader takes, those of moonshotSessions.datasetFolders,
// or any file), a new session on picked endpoints or one the user has, how
// the rows are sent (as they are, attack modules, an attacker loop), the
// judge, the sample and its seed, and for a session that has answers,
// whether to send only the rows not yet answered. Asks only: the command
// (runCommands.ts) makes the session and starts the run.
import * as vscode from 'vscode';
import { basename, extname } from 'node:path';
import type { Core } from '../core/openCore';
import { listAttackModules } from '../core/attacks';
import { Dataset, DATASET_EXTENSIONS } from '../core/datasets';
import { isCoreError } from '../core/errors';
import { listMetrics } from '../core/judges';
import { listLoops } from '../core/runs';
import { MAX_SEED } from '../core/random';
import type { CreateRunBody, SessionMetadata } from '../core/schemas';
import { runFlow, type Step } from './flow';
import type { TreeNode } from './sessionsTree';
import type { UserInput } from './userInput';

export interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

/** What Run Dataset may be called with: a session (tree node or id), a dataset file (the explorer), or nothing. */
export type RunDatasetArg = TreeNode | string | vscode.Uri | undefined;

/** Folders never searched for datasets or results files. */
export const WORKSPACE_EXCLUDE = '{**/node_modules/**,**/.git/**,**/.vscode/**,**/.vscode-test/**,**/out/**}';
export const MAX_WORKSPACE_FILES = 300;

export const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** What the flow was answered: the run's request but for its session, which exists, or is to be made. */
export interface RunDatasetAnswers {
  file: string;
  /** The dataset's name (its file stem). */
  name: string;
  session: SessionMetadata | { create: { name: string; endpoints: string[] } };
  body: Omit<CreateRunBody, 'session_id'>;
}

async function givenSession(core: Core, arg: RunDatasetArg): Promise<SessionMetadata | undefined> {
  if (typeof arg === 'string') return core.sessions.get(arg);
  if (arg instanceof vscode.Uri || !arg) return undefined;
  return core.sessions.get(arg.kind === 'session' ? arg.session.session_id : arg.sessionId);
}

/** Dataset files: the workspace's (those a reader takes) and those of moonshotSessions.datasetFolders. */
async function datasetItems(core: Core): Promise<Item<{ file: string; name: string } | 'browse'>[]> {
  const pattern = `**/*.{${DATASET_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`;
  const uris = await vscode.workspace.findFiles(pattern, WORKSPACE_EXCLUDE, MAX_WORKSPACE_FILES);
  const fromWorkspace = await Promise.all(
    uris.map(async (uri): Promise<Item<{ file: string; name: string }> | undefined> => {
      try {
        const dataset = await Dataset.open(uri.fsPath);
        const name = basename(uri.fsPath, extname(uri.fsPath));
        const description = vscode.workspace.asRelativePath(uri);
        return { label: basename(uri.fsPath), description, detail: dataset.format, value: { file: uri.fsPath, name } };
      } catch (err) {
        // package.json, a settings file ...: not a dataset.
        if (isCoreError(err)) return undefined;
        throw err;
      }
    }),
  );
  const listing = await core.runs.datasets();
  const fromFolders = listing.datasets
    .filter((d) => d.format !== null && !d.problem && !uris.some((u) => u.fsPath === d.path))
    .map((d): Item<{ file: string; name: string }> => ({
      label: d.name,
      description: 'dataset folder',
      detail: [d.format, d.rows === undefined ? undefined : plural(d.rows, 'row'), d.path].filter(Boolean).join(' · '),
      value: { file: d.path, name: d.name },
    }));
  const items = [...fromWorkspace.filter((i): i is Item<{ file: string; name: string }> => i !== undefined), ...fromFolders];
  items.sort((a, b) => (a.description ?? '').localeCompare(b.description ?? ''));
  return [...items, { label: '$(folder-opened) Browse…', description: 'a dataset file anywhere', value: 'browse' }];
}

/** Asks the questions; undefined when the user left the flow. */
export async function askRunDataset(core: Core, ui: UserInput, arg: RunDatasetArg): Promise<RunDatasetAnswers | undefined> {
  const given = await givenSession(core, arg);
  const d = {
    file: arg instanceof vscode.Uri ? arg.fsPath : '',
    name: arg instanceof vscode.Uri ? basename(arg.fsPath, extname(arg.fsPath)) : '',
    session: given as SessionMetadata | undefined,
    newSession: false,
    endpoints: [] as string[],
    noEndpoint: false,
    sessionName: '',
    how: 'plain' as 'plain' | 'modules' | 'loop',
    modules: [] as string[],
    noModule: false,
    loop: '',
    maxTurns: '5',
    attacker: '',
    metric: null as string | null,
    judgeEndpoint: '',
    rubric: '',
    sample: '1',
    seed: '0',
    onlyUnanswered: false,
  };
  const title = 'Run Dataset';
  const usable = (await core.endpoints.list()).filter((e) => e.supported);
  const modules = listAttackModules();
  const metrics = listMetrics();
  const needsAttacker = () => d.how === 'loop' || (d.how === 'modules' && modules.some((m) => d.modules.includes(m.name) && m.needs_model));
  const judgeNeedsModel = () => metrics.some((m) => m.name === d.metric && m.needs_model);
  const endpointItems = (picked: (id: string) => boolean) =>
    usable.map((e): Item<string> => ({
      label: e.name,
      description: e.id,
      detail: [e.connector_type, e.model].filter(Boolean).join(' · '),
      value: e.id,
      picked: picked(e.id),
    }));

  const datasetStep: Step = async (ask) => {
    const items = await datasetItems(core);
    const picked = await ask.pick({
      title,
      placeHolder:
        items.length > 1
          ? 'Pick the dataset to run'
          : 'No dataset files found in the workspace or moonshotSessions.datasetFolders: browse for one',
      matchOnDescription: true,
      items: items.map((i) => ({ ...i, picked: i.value !== 'browse' && i.value.file === d.file })),
    });
    if (picked.value === 'browse') {
      const [uri] =
        (await vscode.window.showOpenDialog({
          canSelectMany: false,
          openLabel: 'Run',
          filters: { Datasets: DATASET_EXTENSIONS.map((e) => e.slice(1)) },
        })) ?? [];
      if (!uri) return datasetStep;
      d.file = uri.fsPath;
      d.name = basename(uri.fsPath, extname(uri.fsPath));
    } else {
      d.file = picked.value.file;
      d.name = picked.value.name;
    }
    return given ? attackStep : targetStep;
  };
  const targetStep: Step = async (ask) => {
    const sessions = await core.sessions.list();
    const picked = await ask.pick({
      title,
      placeHolder: `Send "${d.name}" to the endpoints of a new session, or of a session you have`,
      matchOnDescription: true,
      items: [
        { label: '$(add) New session…', description: 'pick its endpoints', value: undefined, picked: d.newSession },
        ...sessions.map((s): Item<SessionMetadata | undefined> => ({
          label: s.name,
          description: s.session_id,
          detail: s.endpoints.join(', '),
          value: s,
          picked: d.session?.session_id === s.session_id,
        })),
      ],
    });
    d.newSession = picked.value === undefined;
    d.session = picked.value;
    return d.newSession ? endpointsStep : attackStep;
  };
  const endpointsStep: Step = async (ask) => {
    const picked = await ask.pickMany({
      title,
      placeHolder: d.noEndpoint ? 'Pick at least one endpoint (Space to select), then Enter' : 'Pick the endpoints every row goes to',
      items: endpointItems((id) => d.endpoints.includes(id)),
    });
    d.noEndpoint = picked.length === 0;
    if (d.noEndpoint) return endpointsStep;
    d.endpoints = picked.map((p) => p.value);
    return nameStep;
  };
  const nameStep: Step = async (ask) => {
    d.sessionName = await ask.input({
      title,
      prompt: 'A name for the new session that holds the run\'s answers',
      value: d.sessionName || `Run of ${d.name}`,
      validate: (v) => {
        if (v.trim() === '') return 'Give the session a name';
        return v.trim().length > 100 ? 'At most 100 characters' : undefined;
      },
    });
    return attackStep;
  };
  const attackStep: Step = async (ask) => {
    const items: Item<typeof d.how>[] = [
      { label: 'As they are', description: "send each row's prompt unchanged", value: 'plain' },
      {
        label: 'Through attack modules…',
        description: 'a chain applied to every row; each variant goes to every endpoint',
        value: 'modules',
      },
      { label: 'Attacker loop…', description: 'an attacker model converses with each endpoint, per row', value: 'loop' },
    ];
    d.how = (
      await ask.pick({ title, placeHolder: 'How are the rows sent?', items: items.map((i) => ({ ...i, picked: i.value === d.how })) })
    ).value;
    if (d.how === 'modules') return modulesStep;
    if (d.how === 'loop') return loopStep;
    return judgeStep;
  };
  const modulesStep: Step = async (ask) => {
    const picked = await ask.pickMany({
      title,
      placeHolder: d.noModule ? 'Pick at least one module (Space to select), then Enter' : 'Attack modules, applied in this order',
      matchOnDetail: true,
      items: modules.map((m): Item<string> => ({
        label: m.name,
        description: m.needs_model ? 'needs an attacker model' : '',
        detail: m.description,
        value: m.name,
        picked: d.modules.includes(m.name),
      })),
    });
    d.noModule = picked.length === 0;
    if (d.noModule) return modulesStep;
    d.modules = picked.map((p) => p.value);
    return needsAttacker() ? attackerStep : judgeStep;
  };
  const loopStep: Step = async (ask) => {
    const picked = await ask.pick({
      title,
      placeHolder: 'The attacker loop',
      matchOnDetail: true,
      items: listLoops().map((l): Item<string> => ({ label: l.name, detail: l.description, value: l.name, picked: l.name === d.loop })),
    });
    d.loop = picked.value;
    return turnsStep;
  };
  const turnsStep: Step = async (ask) => {
    d.maxTurns = (
      await ask.input({
        title,
        prompt: 'Turns per row and endpoint, at most',
        value: d.maxTurns,
        validate: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 50 ? undefined : 'A whole number from 1 to 50'),
      })
    ).trim();
    return attackerStep;
  };
  const attackerStep: Step = async (ask) => {
    d.attacker = (
      await ask.pick({
        title,
        placeHolder: 'The attacker model (any endpoint; a local one works)',
        items: endpointItems((id) => id === d.attacker),
      })
    ).value;
    return judgeStep;
  };
  const judgeStep: Step = async (ask) => {
    const items: Item<string | null>[] = [
      {
        label: 'None',
        description: d.how === 'loop' ? 'refusal phrases judge the loop' : 'refusal phrases decide pass or fail',
        value: null,
      },
      ...metrics.map((m) => ({
        label: m.name,
        description: m.needs_model ? 'needs a judge model' : '',
        detail: m.description,
        value: m.name,
      })),
    ];
    d.metric = (
      await ask.pick({ title, placeHolder: 'The judge of every answer', items: items.map((i) => ({ ...i, picked: i.value === d.metric })) })
    ).value;
    if (judgeNeedsModel()) return judgeEndpointStep;
    return sampleStep;
  };
  const judgeEndpointStep: Step = async (ask) => {
    d.judgeEndpoint = (
      await ask.pick({ title, placeHolder: `The judge model for ${d.metric}`, items: endpointItems((id) => id === d.judgeEndpoint) })
    ).value;
    return d.metric === 'rubric_judge' ? rubricStep : sampleStep;
  };
  const rubricStep: Step = async (ask) => {
    d.rubric = await ask.input({
      title,
      prompt: 'The rubric: what a passing answer does',
      value: d.rubric,
      validate: (v) => (v.trim() === '' ? 'Write the rubric' : undefined),
    });
    return sampleStep;
  };
  const sampleStep: Step = async (ask) => {
    d.sample = (
      await ask.input({
        title,
        prompt: 'The share of rows to send, from 0 to 1 (1: all; 0.1: about one in ten, picked by the seed)',
        value: d.sample,
        validate: (v) => {
          const x = Number(v.trim());
          return v.trim() !== '' && Number.isFinite(x) && x > 0 && x <= 1 ? undefined : 'A number above 0 and at most 1';
        },
      })
    ).trim();
    // The seed picks the sample and seeds the attacks: asked only when it matters.
    if (Number(d.sample) < 1 || d.how !== 'plain') return seedStep;
    return unansweredStep();
  };
  // A new session has answered nothing yet: the question is for a session the user has.
  const unansweredStep = (): Step | undefined => (d.newSession || !d.session ? undefined : onlyUnansweredStep);
  const onlyUnansweredStep: Step = async (ask) => {
    const items: Item<boolean>[] = [
      { label: 'Every row', description: 'send the rows again even where earlier runs answered them', value: false },
      {
        label: 'Only rows not yet answered',
        description: 'leave out rows that earlier runs on this session answered (same attack or loop)',
        value: true,
      },
    ];
    d.onlyUnanswered = (
      await ask.pick({
        title,
        placeHolder: `Which rows of "${d.name}" go to "${d.session?.name ?? ''}"?`,
        items: items.map((i) => ({ ...i, picked: i.value === d.onlyUnanswered })),
      })
    ).value;
  };
  const seedStep: Step = async (ask) => {
    d.seed = (
      await ask.input({
        title,
        prompt: 'The seed (the same seed and share pick the same rows, and make the same attack variants)',
        value: d.seed,
        validate: (v) => (/^\d+$/.test(v.trim()) && Number(v) <= MAX_SEED ? undefined : `A whole number from 0 to ${MAX_SEED}`),
      })
    ).trim();
    return unansweredStep();
  };

  const totalSteps = () => {
    let n = (d.file && arg instanceof vscode.Uri ? 0 : 1) + (given ? 0 : 1) + (d.newSession ? 2 : 0) + 1;
    if (d.how === 'modules') n += 1;
    if (d.how === 'loop') n += 2;
    if (needsAttacker()) n += 1;
    n += 1 + (judgeNeedsModel() ? 1 : 0) + (d.metric === 'rubric_judge' ? 1 : 0) + 1;
    if (Number(d.sample) < 1 || d.how !== 'plain') n += 1;
    if (!d.newSession && d.session) n += 1;
    return n;
  };
  let first: Step = datasetStep;
  if (arg instanceof vscode.Uri) first = given ? attackStep : targetStep;
  if (!(await runFlow(ui, first, { totalSteps }))) return undefined;
  const session = d.session ?? { create: { name: d.sessionName.trim(), endpoints: d.endpoints } };
  return {
    file: d.file,
    name: d.name,
    session,
    body: {
      ...(d.how === 'modules' ? { attack_modules: d.modules } : {}),
      ...(d.how === 'loop' ? { loop: { name: d.loop, max_turns: Number(d.maxTurns) } } : {}),
      ...(needsAttacker() ? { attacker_endpoint: d.attacker } : {}),
      ...(d.metric !== null ? { metric: d.metric } : {}),
      ...(judgeNeedsModel() ? { judge_endpoint: d.judgeEndpoint } : {}),
      ...(d.metric === 'rubric_judge' ? { judge_options: { rubric: d.rubric } } : {}),
      sample: Number(d.sample),
      seed: Number(d.seed),
      ...(d.onlyUnanswered ? { only_unanswered: true } : {}),
    },
  };
}
