// A run's results: what each means, the figures, files (CSV, JSONL, a
// Markdown report with SVG charts) and the comparison with a baseline.
export { compareToBaseline, type BaselineComparison, type VerdictChange } from './baseline';
export { CHART_CSS, groupedRateChart, histogram, rateBarChart, type ChartOptions, type RateBar, type RateGroup } from './charts';
export { RESULT_COLUMNS, resultsCsvHeader, resultsToCsv, resultsToJsonl, resultToCsvLine, resultToJsonLine } from './exports';
export {
  NO_ATTACK,
  NO_CATEGORY,
  rate,
  resultFigures,
  type EndpointFigures,
  type GroupFigures,
  type Rate,
  type ResultFigures,
} from './figures';
export { resultKey, resultOutcome, resultRefused, type ResultOutcome, type RunResultRow } from './outcome';
export { markdownText, resultsToMarkdown, type ReportOptions } from './report';
