/**
 * Where a page's renderer main thread spends its time, from a Chrome trace (Playwright's
 * `browser.startTracing`): self time per trace event name on the CrRendererMain thread of the
 * process that recorded `markName` (a `performance.mark`), from navigation start to that mark.
 * Self time is an event's duration minus its direct children's; JavaScript without a trace event
 * of its own shows up as its caller's self time (RunMicrotasks, FunctionCall, EvaluateScript).
 */

export const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'blink.user_timing', 'v8.execute', 'loading'];

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string; data?: { url?: string; functionName?: string }; chrome_mojo_event_info?: { mojo_interface_tag?: string } };
}

export interface MainThreadTime {
  /** Navigation start → mark, as the page measured it. */
  spanMs: number;
  /** Time inside top-level tasks in that span. */
  busyMs: number;
  /** Self time by event name (with the script URL, function or Mojo interface where the trace names one). */
  selfMs: Map<string, number>;
}

/** `markAtMs`: the mark's time from navigation start (performance.now() when it was set). */
export function mainThreadTime(trace: Buffer | string, markName: string, markAtMs: number): MainThreadTime | undefined {
  const parsed = JSON.parse(trace.toString()) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const mark = events.find((e) => e.name === markName);
  if (!mark) return undefined;
  const main = events.find((e) => e.pid === mark.pid && e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return undefined;
  const end = mark.ts;
  const start = end - markAtMs * 1000;
  const slices = events
    .filter((e): e is TraceEvent & { dur: number } => e.pid === mark.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined && e.ts >= start && e.ts <= end)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);

  const self = new Map<TraceEvent, number>();
  const stack: (TraceEvent & { dur: number })[] = [];
  let busyUs = 0;
  for (const e of slices) {
    while (stack.length > 0 && stack[stack.length - 1]!.ts + stack[stack.length - 1]!.dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent, (self.get(parent) ?? parent.dur) - e.dur);
    else busyUs += e.dur;
    self.set(e, self.get(e) ?? e.dur);
    stack.push(e);
  }
  const selfMs = new Map<string, number>();
  for (const [e, us] of self) selfMs.set(label(e), (selfMs.get(label(e)) ?? 0) + us / 1000);
  return { spanMs: markAtMs, busyMs: busyUs / 1000, selfMs };
}

function label(e: TraceEvent): string {
  if (e.name === 'Receive mojo message' || e.name === 'Receive mojo reply') return `${e.name} ${e.args?.chrome_mojo_event_info?.mojo_interface_tag ?? ''}`.trim();
  if (e.name === 'EvaluateScript') return `EvaluateScript ${(e.args?.data?.url ?? '').split('/').pop() ?? ''}`.trim();
  if (e.name === 'FunctionCall') return `FunctionCall ${e.args?.data?.functionName ?? ''}`.trim();
  return e.name;
}
