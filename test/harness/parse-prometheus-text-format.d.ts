declare module "parse-prometheus-text-format" {
  type Labels = Record<string, string>;
  export type PrometheusSample =
    | { labels?: Labels; value: string }
    | { labels?: Labels; buckets: Record<string, string>; count: string; sum: string }
    | { labels?: Labels; quantiles: Record<string, string>; count: string; sum: string };
  export type PrometheusFamily = {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: PrometheusSample[];
  };
  // biome-ignore lint/style/noDefaultExport: the package's own shape (a CommonJS default export).
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
