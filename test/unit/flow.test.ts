import assert from 'node:assert/strict';
import { runFlow, askOnce, unlessBack, type Step } from '../../src/vscode/flow';
import { BACK, type Back, type InputQuestion, type PickQuestion, type UserInput } from '../../src/vscode/userInput';

type Reply = string | Back | undefined;

/** Answers input boxes from a list, and records what each question showed. */
function scripted(replies: Reply[]) {
  const seen: {
    placeHolder?: string | undefined;
    step?: number | undefined;
    totalSteps?: number | undefined;
    back?: boolean | undefined;
    value?: string | undefined;
  }[] = [];
  const ui: UserInput = {
    input: async (q: InputQuestion) => {
      seen.push({ placeHolder: q.placeHolder, step: q.step, totalSteps: q.totalSteps, back: q.back, value: q.value });
      if (replies.length === 0) throw new Error(`no reply left for ${q.placeHolder}`);
      return replies.shift();
    },
    pick: async <T extends { label: string }>(_q: PickQuestion<T & import('vscode').QuickPickItem>) => undefined,
    pickMany: async () => undefined,
    confirm: async () => false,
    saveLocation: async () => undefined,
    notify: async () => undefined,
    status: () => undefined,
  };
  return { ui, seen, left: () => replies.length };
}

/** A flow of three input boxes (a, b, c); each shows its earlier answer as the value. */
function threeSteps(state: Record<string, string>): Step {
  const step = (name: string, next?: Step): Step => async (ask) => {
    state[name] = await ask.input({ placeHolder: name, value: state[name] ?? '' });
    return next;
  };
  return step('a', step('b', step('c')));
}

describe('guided flows (Back, cancel, ask again)', () => {
  it('numbers the steps, shows Back from the second one, and Back runs the step before with its answer kept', async () => {
    const { ui, seen, left } = scripted(['1', '2', BACK, BACK, 'one', 'two', 'three']);
    const state: Record<string, string> = {};
    assert.equal(await runFlow(ui, threeSteps(state), { totalSteps: () => 3 }), true);
    assert.deepEqual(state, { a: 'one', b: 'two', c: 'three' });
    assert.equal(left(), 0);
    assert.deepEqual(
      seen.map((s) => `${s.placeHolder}${s.step}/${s.totalSteps}${s.back ? '<' : ''}=${s.value}`),
      ['a1/3=', 'b2/3<=', 'c3/3<=', 'b2/3<=2', 'a1/3=1', 'b2/3<=2', 'c3/3<='],
    );
  });

  it('Escape on any step ends the flow: false, and nothing after it runs', async () => {
    const { ui } = scripted(['1', undefined]);
    const state: Record<string, string> = {};
    assert.equal(await runFlow(ui, threeSteps(state), { totalSteps: () => 3 }), false);
    assert.deepEqual(state, { a: '1' });
  });

  it('a step that returns itself asks again without becoming a step to go Back to', async () => {
    let tries = 0;
    const again: Step = async (ask) => {
      const v = await ask.input({ placeHolder: 'again' });
      tries++;
      if (v === 'bad') return again;
    };
    const first: Step = async (ask) => {
      await ask.input({ placeHolder: 'first' });
      return again;
    };
    const { ui, seen } = scripted(['x', 'bad', 'bad', BACK, 'y', 'good']);
    assert.equal(await runFlow(ui, first), true);
    assert.equal(tries, 3);
    assert.deepEqual(seen.map((s) => s.placeHolder), ['first', 'again', 'again', 'again', 'first', 'again']);
  });

  it('Back in a question inside a step (a value for an item picked) comes back to that step, not the one before', async () => {
    const values: (string | undefined)[] = [];
    const list: Step = async (ask) => {
      const item = await ask.input({ placeHolder: 'list' });
      if (item === 'start') return;
      values.push(await unlessBack(ask.input({ placeHolder: `value of ${item}` })));
      return list;
    };
    const first: Step = async (ask) => {
      await ask.input({ placeHolder: 'first' });
      return list;
    };
    const { ui, seen } = scripted(['x', 'seed', BACK, 'seed', '7', BACK, 'x', 'start']);
    assert.equal(await runFlow(ui, first), true);
    assert.deepEqual(values, [undefined, '7']);
    assert.deepEqual(seen.map((s) => s.placeHolder), ['first', 'list', 'value of seed', 'list', 'value of seed', 'list', 'first', 'list']);
    assert.deepEqual(
      seen.map((s) => s.back),
      [false, true, true, true, true, true, false, true],
      'the list is still the second step: its Back goes to the first',
    );
  });

  it('a one-question flow has no Back and no "1/1"; errors that are not the user leaving pass through', async () => {
    const { ui, seen } = scripted(['only']);
    assert.equal(await askOnce(ui, (ask) => ask.input({ placeHolder: 'q' })), 'only');
    assert.deepEqual(seen, [{ placeHolder: 'q', step: undefined, totalSteps: undefined, back: false, value: undefined }]);
    await assert.rejects(
      runFlow(scripted([]).ui, async () => {
        throw new RangeError('a bug');
      }),
      RangeError,
    );
  });
});
