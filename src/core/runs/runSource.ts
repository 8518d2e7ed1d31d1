// Where a run's rows come from: a dataset file (streamed, never read whole)
// or rows given in the request. Both give the same rows and an identity for
// the manifest, which a resume checks: a file that changed is refused.
import { createHash } from 'node:crypto';
import { Dataset, DatasetError, hashFile, inlineRows, type DatasetFormat, type DatasetRow } from '../datasets';
import { MAX_PROMPT_CHARS, type DatasetRowInput, type RunDataset } from '../schemas';

export type RowSource =
  | { kind: 'file'; file: string; format?: DatasetFormat; template?: string }
  | { kind: 'inline'; rows: readonly DatasetRowInput[] };

export interface OpenedSource {
  /** A fresh pass over the rows, in order. */
  rows(): AsyncIterable<DatasetRow>;
  /**
   * Name, format, row count and SHA-256, and how many rows `keep` keeps.
   * Reads a file whole, and rejects (DatasetError) at its first bad row or a
   * prompt no endpoint may be sent, naming the line: before anything is sent.
   */
  identity(keep?: (row: DatasetRow) => boolean): Promise<{ dataset: RunDataset; kept: number }>;
}

/** A row whose prompt cannot be sent (empty once templated, or longer than a prompt may be). */
function promptProblem(row: DatasetRow): string | undefined {
  if (row.input.trim() === '') return 'the prompt is empty';
  if (row.input.length > MAX_PROMPT_CHARS) return `the prompt is ${row.input.length} characters; prompts are at most ${MAX_PROMPT_CHARS}`;
  return undefined;
}

/** Opens the source: a file's format and template are checked now (not-found, invalid, unsupported). */
export async function openSource(source: RowSource): Promise<OpenedSource> {
  if (source.kind === 'inline') {
    const rows = inlineRows(source.rows);
    return {
      rows: async function* () {
        yield* rows;
      },
      identity: async (keep = () => true) => ({
        dataset: {
          name: 'inline',
          path: null,
          format: 'inline',
          sha256: createHash('sha256').update(JSON.stringify(source.rows)).digest('hex'),
          rows: rows.length,
        },
        kept: rows.filter(keep).length,
      }),
    };
  }
  const dataset = await Dataset.open(source.file, {
    ...(source.format ? { format: source.format } : {}),
    ...(source.template !== undefined ? { template: source.template } : {}),
  });
  return {
    rows: () => dataset.rows(),
    identity: async (keep = () => true) => {
      const count = async () => {
        let rows = 0;
        let kept = 0;
        for await (const row of dataset.rows()) {
          const problem = promptProblem(row);
          if (problem !== undefined) throw new DatasetError(source.file, row.line ?? 1, `row ${row.id}: ${problem}`);
          rows++;
          if (keep(row)) kept++;
        }
        return { rows, kept };
      };
      const [sha256, { rows, kept }] = await Promise.all([hashFile(source.file), count()]);
      return { dataset: { name: dataset.name, path: source.file, format: dataset.format, sha256, rows }, kept };
    },
  };
}
