// The matrix's charts tab: the run's figures (resultFigures) as the core's
// SVG charts, without their own <style> (the panel's page has CHART_CSS
// under its CSP nonce), and the per-endpoint figures as numbers for the
// table beside them. Endpoints are labelled by name.
import {
  groupedRateChart,
  histogram,
  NO_CATEGORY,
  rateBarChart,
  resultFigures,
  type Rate,
  type RunResultRow,
} from '../core/datasets/results';
import type { Chart, EndpointFiguresView } from '../shared/matrixProtocol';

const rateView = (r: Rate) => ({ rate: r.rate, low: r.ci95?.[0] ?? null, high: r.ci95?.[1] ?? null, count: r.count, of: r.of });

export function matrixCharts(
  results: readonly RunResultRow[],
  endpointName: (id: string) => string = (id) => id,
): { charts: Chart[]; figures: EndpointFiguresView[] } {
  const figures = resultFigures(results);
  const options = { styles: false };
  const label = (e: { endpoint: string }) => endpointName(e.endpoint);
  const charts: Chart[] = [
    {
      id: 'pass',
      title: 'Pass rate by endpoint (95% CI)',
      svg: rateBarChart('Pass rate by endpoint (95% CI)', figures.endpoints.map((e) => ({ label: label(e), rate: e.pass })), options),
    },
    {
      id: 'refusal',
      title: 'Refusal rate by endpoint (95% CI)',
      svg: rateBarChart('Refusal rate by endpoint (95% CI)', figures.endpoints.map((e) => ({ label: label(e), rate: e.refusal })), options),
    },
  ];
  if (figures.categories.some((c) => c.group !== NO_CATEGORY)) {
    charts.push({
      id: 'categories',
      title: 'Attack success rate by category',
      svg: groupedRateChart(
        'Attack success rate by category',
        figures.endpoints.map(label),
        figures.categories.map((c) => ({ label: c.group, rates: c.byEndpoint.map((b) => b.attackSuccess) })),
        options,
      ),
    });
  }
  charts.push({ id: 'latency', title: 'Seconds per answer', svg: histogram('Seconds per answer', figures.durations, 'seconds', options) });
  return {
    charts,
    figures: figures.endpoints.map((e) => ({
      endpoint: label(e),
      results: e.results,
      errors: e.errors,
      pass: rateView(e.pass),
      refusal: rateView(e.refusal),
      attackSuccess: rateView(e.attackSuccess),
      meanSeconds: e.meanSeconds,
      p95Seconds: e.p95Seconds,
    })),
  };
}
