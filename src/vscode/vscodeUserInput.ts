// The UserInput of a person: VS Code's quick picks, input boxes and
// notifications. Quick picks and input boxes are built with
// createQuickPick/createInputBox rather than showQuickPick: only those have
// a Back button, and only a live quick pick can turn what the user typed
// into an item of its own.
import * as vscode from 'vscode';
import { BACK, type Back, type PickQuestion, type UserInput } from './userInput';

type Question = Omit<PickQuestion<vscode.QuickPickItem>, 'items'>;

const STATUS_MS = 5000;

function configure(input: vscode.QuickInput & { buttons: readonly vscode.QuickInputButton[] }, q: Question): void {
  input.title = q.title;
  input.step = q.step;
  input.totalSteps = q.totalSteps;
  input.buttons = q.back ? [vscode.QuickInputButtons.Back] : [];
  // A guided flow must not vanish because the user clicked elsewhere to look something up.
  input.ignoreFocusOut = q.step !== undefined;
}

/** Shows `input` until it settles: accepted (per `accept`), Back, or hidden. */
function settle<R>(
  input: vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox,
  accept: () => R | undefined,
): Promise<R | Back | undefined> {
  return new Promise((resolve) => {
    const disposables: vscode.Disposable[] = [];
    const done = (value: R | Back | undefined) => {
      for (const d of disposables) d.dispose();
      input.dispose();
      resolve(value);
    };
    disposables.push(
      input.onDidAccept(() => {
        const value = accept();
        if (value !== undefined) done(value);
      }),
      input.onDidTriggerButton((b) => {
        if (b === vscode.QuickInputButtons.Back) done(BACK);
      }),
      input.onDidHide(() => done(undefined)),
    );
    input.show();
  });
}

function quickPick<T extends vscode.QuickPickItem>(q: PickQuestion<T>, many: boolean): vscode.QuickPick<T> {
  const qp = vscode.window.createQuickPick<T>();
  configure(qp, q);
  qp.placeholder = q.placeHolder;
  qp.matchOnDescription = q.matchOnDescription ?? false;
  qp.matchOnDetail = q.matchOnDetail ?? false;
  qp.canSelectMany = many;
  qp.items = q.items;
  // What was answered before (the user came Back to this step) is selected again.
  if (many) qp.selectedItems = q.items.filter((i) => i.picked);
  else {
    const previous = q.items.find((i) => i.picked);
    if (previous) qp.activeItems = [previous];
  }
  const typed = q.typed;
  if (typed) {
    // The typed item goes last, and items are set again only when it changes: the
    // workbench names the item Enter chose by its index, and an Enter pressed while
    // new items are on their way must still mean the item it was pressed on.
    let shown: string | undefined;
    qp.onDidChangeValue((value) => {
      const own = value.trim() ? typed(value.trim()) : undefined;
      if (own?.label === shown) return;
      shown = own?.label;
      qp.items = own ? [...q.items, { ...own, alwaysShow: true }] : q.items;
    });
  }
  return qp;
}

export const vscodeUserInput: UserInput = {
  pick: <T extends vscode.QuickPickItem>(q: PickQuestion<T>) => {
    const qp = quickPick(q, false);
    return settle(qp as unknown as vscode.QuickPick<vscode.QuickPickItem>, () => qp.selectedItems[0] ?? qp.activeItems[0]);
  },
  pickMany: <T extends vscode.QuickPickItem>(q: PickQuestion<T>) => {
    const qp = quickPick(q, true);
    return settle(qp as unknown as vscode.QuickPick<vscode.QuickPickItem>, () => [...qp.selectedItems]);
  },
  input: (q) => {
    const box = vscode.window.createInputBox();
    configure(box, q);
    box.placeholder = q.placeHolder;
    box.prompt = q.prompt;
    box.value = q.value ?? '';
    box.password = q.password ?? false;
    const validate = q.validate ?? (() => undefined);
    box.onDidChangeValue((v) => (box.validationMessage = validate(v)));
    return settle(box, () => {
      const problem = validate(box.value);
      box.validationMessage = problem;
      return problem ? undefined : box.value;
    });
  },
  confirm: async (message, detail, action) => (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action,
  saveLocation: async (options) => vscode.window.showSaveDialog(options),
  notify: async (level, message, actions) => {
    const show = {
      error: vscode.window.showErrorMessage,
      warning: vscode.window.showWarningMessage,
      info: vscode.window.showInformationMessage,
    }[level];
    return show(message, ...actions);
  },
  status: (message) => void vscode.window.setStatusBarMessage(message, STATUS_MS),
};
