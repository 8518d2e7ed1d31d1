// What markdown-it gets for the `entities` package in the extension host and
// the CLI (an esbuild alias in esbuild.mjs). There Markdown is only parsed to
// find its structure (markdownText.ts: headings, fences, HTML, reference
// definitions): a named entity never makes structure, and its decoded text is
// never used, so the 46 KiB table of HTML's named entities stays out of the
// bundle the extension loads at activation. Numeric references markdown-it
// decodes itself. The chat panel renders Markdown and gets the real package.
const XML_ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };

/** The text of a named entity markdown-it found (`&name;`), or the entity unchanged when it is not one of XML's five. */
export function decodeHTMLStrict(entity: string): string {
  return XML_ENTITIES[entity] ?? entity;
}

export const decodeHTML = decodeHTMLStrict;
