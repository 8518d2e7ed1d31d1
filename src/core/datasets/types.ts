// What every dataset reader gives: rows of one shape, whatever the file's format.
import type { DatasetFormat } from '../schemas';

export type { DatasetFormat };

export interface DatasetRow {
  /** Stable for the row: the source's own id, else one made from the row's content (see rowIds.ts). */
  id: string;
  /** The prompt: a field of the row, or the row's fields through the run's template. */
  input: string;
  /** What the answer should be or say, where the dataset has it. */
  target?: string;
  category?: string;
  /** The row's other fields, by their names in the file. */
  metadata: Record<string, unknown>;
  /** The line (1-based) the row starts on in its file. */
  line?: number;
}
