// Placeholder until the extension adapters land; keeps the build whole.
export function activate(): void {}
export function deactivate(): void {}
