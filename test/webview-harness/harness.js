/* global window, document, MessageEvent, URLSearchParams */
// Stands in for VS Code around the webview: acquireVsCodeApi, the theme's CSS
// variables and body classes, and a way to deliver host messages.
'use strict';

(function () {
  const params = new URLSearchParams(window.location.search);

  const sent = [];
  let state = undefined;
  let acquired = false;
  window.__sent = sent;
  window.__cspViolations = [];
  window.__dialogs = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  });
  for (const name of ['alert', 'confirm', 'prompt']) {
    window[name] = (...args) => {
      window.__dialogs.push({ name, args });
    };
  }

  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error('acquireVsCodeApi may be called only once');
    acquired = true;
    return {
      postMessage: (message) => {
        if (message && message.type === 'ready') window.__readyAt = window.performance.now();
        sent.push(JSON.parse(JSON.stringify(message)));
      },
      getState: () => (state === undefined ? undefined : JSON.parse(JSON.stringify(state))),
      setState: (next) => {
        state = JSON.parse(JSON.stringify(next));
        window.__state = state;
      },
    };
  };

  const fonts = {
    '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-font-weight': 'normal',
    '--vscode-editor-font-family': '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
    '--vscode-editor-font-size': '13px',
    '--vscode-editor-font-weight': 'normal',
    '--monaco-monospace-font': '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
  };

  // Dark Modern / Light Modern / Dark High Contrast, the variables the panel uses and a few around them.
  const themes = {
    dark: {
      kind: 'vscode-dark',
      vars: {
        '--vscode-foreground': '#cccccc',
        '--vscode-descriptionForeground': '#9d9d9d',
        '--vscode-errorForeground': '#f85149',
        '--vscode-focusBorder': '#0078d4',
        '--vscode-icon-foreground': '#cccccc',
        '--vscode-widget-border': '#313131',
        '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
        '--vscode-editor-background': '#1f1f1f',
        '--vscode-editor-foreground': '#cccccc',
        '--vscode-editorWidget-background': '#202020',
        '--vscode-editorCursor-foreground': '#aeafad',
        '--vscode-editorWarning-foreground': '#cca700',
        '--vscode-panel-border': '#2b2b2b',
        '--vscode-sideBarSectionHeader-background': '#181818',
        '--vscode-button-background': '#0078d4',
        '--vscode-button-foreground': '#ffffff',
        '--vscode-button-hoverBackground': '#026ec1',
        '--vscode-button-border': 'rgba(255, 255, 255, 0.07)',
        '--vscode-button-secondaryBackground': '#313131',
        '--vscode-button-secondaryForeground': '#cccccc',
        '--vscode-button-secondaryHoverBackground': '#3c3c3c',
        '--vscode-badge-background': '#616161',
        '--vscode-badge-foreground': '#f8f8f8',
        '--vscode-input-background': '#313131',
        '--vscode-input-foreground': '#cccccc',
        '--vscode-input-border': '#3c3c3c',
        '--vscode-input-placeholderForeground': '#989898',
        '--vscode-inputValidation-errorBackground': '#5a1d1d',
        '--vscode-inputValidation-errorBorder': '#be1100',
        '--vscode-inputValidation-warningBackground': '#352a05',
        '--vscode-inputValidation-warningBorder': '#b89500',
        '--vscode-textLink-foreground': '#4daafc',
        '--vscode-textLink-activeForeground': '#4daafc',
        '--vscode-textCodeBlock-background': '#2b2b2b',
        '--vscode-textBlockQuote-background': '#2b2b2b',
        '--vscode-textBlockQuote-border': '#616161',
        '--vscode-textPreformat-foreground': '#d0d0d0',
        '--vscode-textPreformat-background': '#3c3c3c',
        '--vscode-toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
        '--vscode-progressBar-background': '#0078d4',
        '--vscode-keybindingLabel-background': 'rgba(128, 128, 128, 0.17)',
        '--vscode-keybindingLabel-foreground': '#cccccc',
        '--vscode-keybindingLabel-border': 'rgba(51, 51, 51, 0.6)',
        '--vscode-keybindingLabel-bottomBorder': 'rgba(68, 68, 68, 0.6)',
        '--vscode-keybindingTable-headerBackground': 'rgba(204, 204, 204, 0.04)',
        '--vscode-keybindingTable-rowsBackground': 'rgba(204, 204, 204, 0.04)',
        '--vscode-notifications-background': '#1f1f1f',
        '--vscode-notifications-foreground': '#cccccc',
        '--vscode-notifications-border': '#2b2b2b',
        '--vscode-notificationsInfoIcon-foreground': '#3794ff',
        '--vscode-notificationsErrorIcon-foreground': '#f14c4c',
        '--vscode-testing-iconPassed': '#73c991',
        '--vscode-scrollbarSlider-background': 'rgba(121, 121, 121, 0.4)',
        '--vscode-scrollbarSlider-hoverBackground': 'rgba(100, 100, 100, 0.7)',
        '--vscode-scrollbarSlider-activeBackground': 'rgba(191, 191, 191, 0.4)',
        '--vscode-symbolIcon-functionForeground': '#b180d7',
        '--vscode-symbolIcon-classForeground': '#ee9d28',
        '--vscode-symbolIcon-variableForeground': '#75beff',
        '--vscode-debugTokenExpression-name': '#c586c0',
        '--vscode-debugTokenExpression-value': 'rgba(204, 204, 204, 0.6)',
        '--vscode-debugTokenExpression-string': '#ce9178',
        '--vscode-debugTokenExpression-boolean': '#4e94ce',
        '--vscode-debugTokenExpression-number': '#b5cea8',
        '--vscode-debugTokenExpression-error': '#f48771',
        '--vscode-gitDecoration-addedResourceForeground': '#81b88b',
        '--vscode-gitDecoration-deletedResourceForeground': '#c74e39',
      },
    },
    light: {
      kind: 'vscode-light',
      vars: {
        '--vscode-foreground': '#3b3b3b',
        '--vscode-descriptionForeground': '#717171',
        '--vscode-errorForeground': '#f85149',
        '--vscode-focusBorder': '#005fb8',
        '--vscode-icon-foreground': '#3b3b3b',
        '--vscode-widget-border': '#e5e5e5',
        '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
        '--vscode-editor-background': '#ffffff',
        '--vscode-editor-foreground': '#3b3b3b',
        '--vscode-editorWidget-background': '#f8f8f8',
        '--vscode-editorCursor-foreground': '#000000',
        '--vscode-editorWarning-foreground': '#bf8803',
        '--vscode-panel-border': '#e5e5e5',
        '--vscode-sideBarSectionHeader-background': '#f8f8f8',
        '--vscode-button-background': '#005fb8',
        '--vscode-button-foreground': '#ffffff',
        '--vscode-button-hoverBackground': '#0258a8',
        '--vscode-button-border': 'rgba(0, 0, 0, 0.1)',
        '--vscode-button-secondaryBackground': '#e5e5e5',
        '--vscode-button-secondaryForeground': '#3b3b3b',
        '--vscode-button-secondaryHoverBackground': '#cccccc',
        '--vscode-badge-background': '#cccccc',
        '--vscode-badge-foreground': '#3b3b3b',
        '--vscode-input-background': '#ffffff',
        '--vscode-input-foreground': '#3b3b3b',
        '--vscode-input-border': '#cecece',
        '--vscode-input-placeholderForeground': '#767676',
        '--vscode-inputValidation-errorBackground': '#f2dede',
        '--vscode-inputValidation-errorBorder': '#be1100',
        '--vscode-inputValidation-warningBackground': '#f6f5d2',
        '--vscode-inputValidation-warningBorder': '#b89500',
        '--vscode-textLink-foreground': '#005fb8',
        '--vscode-textLink-activeForeground': '#005fb8',
        '--vscode-textCodeBlock-background': '#f5f5f5',
        '--vscode-textBlockQuote-background': '#f8f8f8',
        '--vscode-textBlockQuote-border': '#e5e5e5',
        '--vscode-textPreformat-foreground': '#3b3b3b',
        '--vscode-textPreformat-background': 'rgba(0, 0, 0, 0.08)',
        '--vscode-toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
        '--vscode-progressBar-background': '#005fb8',
        '--vscode-keybindingLabel-background': 'rgba(221, 221, 221, 0.4)',
        '--vscode-keybindingLabel-foreground': '#555555',
        '--vscode-keybindingLabel-border': 'rgba(204, 204, 204, 0.4)',
        '--vscode-keybindingLabel-bottomBorder': 'rgba(187, 187, 187, 0.4)',
        '--vscode-keybindingTable-headerBackground': 'rgba(59, 59, 59, 0.04)',
        '--vscode-keybindingTable-rowsBackground': 'rgba(59, 59, 59, 0.04)',
        '--vscode-notifications-background': '#ffffff',
        '--vscode-notifications-foreground': '#3b3b3b',
        '--vscode-notifications-border': '#e5e5e5',
        '--vscode-notificationsInfoIcon-foreground': '#1a85ff',
        '--vscode-notificationsErrorIcon-foreground': '#e51400',
        '--vscode-testing-iconPassed': '#388a34',
        '--vscode-scrollbarSlider-background': 'rgba(100, 100, 100, 0.4)',
        '--vscode-scrollbarSlider-hoverBackground': 'rgba(100, 100, 100, 0.7)',
        '--vscode-scrollbarSlider-activeBackground': 'rgba(0, 0, 0, 0.6)',
        '--vscode-symbolIcon-functionForeground': '#652d90',
        '--vscode-symbolIcon-classForeground': '#d67e00',
        '--vscode-symbolIcon-variableForeground': '#007acc',
        '--vscode-debugTokenExpression-name': '#9b46b0',
        '--vscode-debugTokenExpression-value': 'rgba(108, 108, 108, 0.8)',
        '--vscode-debugTokenExpression-string': '#a31515',
        '--vscode-debugTokenExpression-boolean': '#0000ff',
        '--vscode-debugTokenExpression-number': '#098658',
        '--vscode-debugTokenExpression-error': '#e51400',
        '--vscode-gitDecoration-addedResourceForeground': '#587c0c',
        '--vscode-gitDecoration-deletedResourceForeground': '#ad0707',
      },
    },
    hc: {
      kind: 'vscode-high-contrast',
      vars: {
        '--vscode-foreground': '#ffffff',
        '--vscode-descriptionForeground': 'rgba(255, 255, 255, 0.7)',
        '--vscode-errorForeground': '#f48771',
        '--vscode-focusBorder': '#f38518',
        '--vscode-contrastBorder': '#6fc3df',
        '--vscode-contrastActiveBorder': '#f38518',
        '--vscode-icon-foreground': '#ffffff',
        '--vscode-widget-border': '#6fc3df',
        '--vscode-editor-background': '#000000',
        '--vscode-editor-foreground': '#ffffff',
        '--vscode-editorWidget-background': '#0c141f',
        '--vscode-editorCursor-foreground': '#ffffff',
        '--vscode-editorWarning-foreground': '#ffd370',
        '--vscode-panel-border': '#6fc3df',
        '--vscode-button-background': '#000000',
        '--vscode-button-foreground': '#ffffff',
        '--vscode-button-border': '#6fc3df',
        '--vscode-button-secondaryBackground': '#000000',
        '--vscode-button-secondaryForeground': '#ffffff',
        '--vscode-badge-background': '#000000',
        '--vscode-badge-foreground': '#ffffff',
        '--vscode-input-background': '#000000',
        '--vscode-input-foreground': '#ffffff',
        '--vscode-input-border': '#6fc3df',
        '--vscode-input-placeholderForeground': 'rgba(255, 255, 255, 0.7)',
        '--vscode-inputValidation-errorBackground': '#000000',
        '--vscode-inputValidation-errorBorder': '#f48771',
        '--vscode-textLink-foreground': '#21a6ff',
        '--vscode-textLink-activeForeground': '#21a6ff',
        '--vscode-textCodeBlock-background': '#000000',
        '--vscode-textBlockQuote-background': '#000000',
        '--vscode-textBlockQuote-border': '#ffffff',
        '--vscode-textPreformat-foreground': '#ffffff',
        '--vscode-toolbar-hoverOutline': '#f38518',
        '--vscode-progressBar-background': '#6fc3df',
        '--vscode-notifications-background': '#000000',
        '--vscode-notifications-border': '#6fc3df',
        '--vscode-scrollbarSlider-background': 'rgba(111, 195, 223, 0.6)',
        '--vscode-symbolIcon-functionForeground': '#b180d7',
        '--vscode-symbolIcon-classForeground': '#ee9d28',
        '--vscode-symbolIcon-variableForeground': '#75beff',
        '--vscode-debugTokenExpression-name': '#ffffff',
        '--vscode-debugTokenExpression-value': '#ffffff',
        '--vscode-debugTokenExpression-string': '#f48771',
        '--vscode-debugTokenExpression-boolean': '#75bdfe',
        '--vscode-debugTokenExpression-number': '#89d185',
        '--vscode-debugTokenExpression-error': '#f48771',
      },
    },
  };

  const theme = themes[params.get('theme') || 'dark'] || themes.dark;
  const root = document.documentElement;
  // VS Code sets these through the CSSOM too, which the CSP allows.
  for (const [name, value] of Object.entries({ ...fonts, ...theme.vars })) root.style.setProperty(name, value);
  document.body.classList.add(theme.kind);
  document.body.dataset.vscodeThemeKind = theme.kind;

  window.__harness = {
    /** Delivers a host message the way VS Code does: a message event on window, synchronously. */
    send(message) {
      window.dispatchEvent(new MessageEvent('message', { data: message }));
    },
    sent,
  };
})();
