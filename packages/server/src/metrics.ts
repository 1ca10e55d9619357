/**
 * A small Prometheus registry: counters and histograms with labels, rendered in the text
 * exposition format (version 0.0.4). Herald needs a handful of series; prom-client would bring
 * default collectors and a cluster aggregator it does not use, so this stays ~100 lines.
 */

type Labels = Record<string, string>;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels) => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
};

class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    // Keyed by the label values (a series always has the same label names in the same order), so
    // the exposition text is built once per series, not once per request.
    const key = Object.values(labels).join('\u0000');
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values())
      lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

class Histogram {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = Object.values(labels).join('\u0000');
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((bucket, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(bucket) })} ${counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

const seconds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The server's metrics.
 *
 * @example
 * ```ts
 * const metrics = new Metrics();
 * metrics.sends.inc({ result: 'sent' });
 * const text = metrics.render({ messages: 0, retries: 0 });
 * ```
 */
export class Metrics {
  readonly requests = new Counter('herald_http_requests_total', 'HTTP requests by route and status.');
  readonly requestSeconds = new Histogram(
    'herald_http_request_duration_seconds',
    'HTTP request latency.',
    seconds,
  );
  readonly sends = new Counter('herald_push_sends_total', 'Pushes sent to push services, by result.');
  readonly sendSeconds = new Histogram(
    'herald_push_send_duration_seconds',
    'Latency of one push request to a push service.',
    seconds,
  );

  /** The exposition text; the queue gauges are read from storage at scrape time. */
  render(queue: { messages: number; retries: number }): string {
    return `${[
      this.requests.render(),
      this.requestSeconds.render(),
      this.sends.render(),
      this.sendSeconds.render(),
      '# HELP herald_queue_messages Messages queued or sending.',
      '# TYPE herald_queue_messages gauge',
      `herald_queue_messages ${queue.messages}`,
      '# HELP herald_queue_retries Deliveries waiting for a retry.',
      '# TYPE herald_queue_retries gauge',
      `herald_queue_retries ${queue.retries}`,
    ].join('\n')}\n`;
  }
}
