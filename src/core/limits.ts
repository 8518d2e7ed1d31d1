// Numbers that the schemas enforce and the webview needs too: a module of
// its own with no imports, so that the webview's bundle takes these without
// pulling in zod's schemas.

/** The longest prompt accepted, in characters (Moonshot's limit). */
export const MAX_PROMPT_CHARS = 100_000;
/** How many earlier records a context strategy uses unless told otherwise. */
export const DEFAULT_NUM_OF_PREV_PROMPTS = 5;
