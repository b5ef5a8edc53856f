/** Performance evaluation of a segmented volume: one call, one versioned JSON report, an HTML view of it. */
export { evaluate } from './evaluate.js';
export { renderHtmlReport, type HtmlReportOptions } from './html.js';
export { formatReportSummary } from './summary.js';
export {
  REPORT_SCHEMA_VERSION,
  METRIC_NAMES,
  DEFAULT_METRICS,
  METRICS_2D,
  type MetricName,
  type EvaluateOptions,
  type EvaluateVolume,
  type EvaluateProgressDetail,
  type Report,
  type ReportMeta,
  type PhaseReport,
  type AbsentPhaseReport,
  type Comparison,
  type PhaseComparison,
  type Difference,
} from './types.js';
