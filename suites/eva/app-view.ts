/**
 * "What the NHS App would see": a summary of one consumer-API response (`GET /aggregator/events`),
 * so an EVA report can show the patient's-eye result next to the supplier-level diffs.
 */
import { PCA_URLS } from '../../core/fhir';
import type { ExpectedConsumerView } from '../../fixtures/pack';
import { maskNhsNumber } from '../../core/nhs-number';
import { redactText } from '../../core/redact';
import { describeBody } from './compare';

export interface AppViewIssue {
  severity?: string;
  code?: string;
  /** The upstream the issue names (ExtensionErrorSource), e.g. `myportal-02`. */
  source?: string;
  diagnostics?: string;
}

export interface AppViewSample {
  nhsNumberMasked: string;
  /** HTTP status; undefined when no response arrived. */
  status?: number;
  /** CarePlan activities across every CarePlan in the response: what the App would list. */
  activities: number;
  carePlans: number;
  issues: AppViewIssue[];
  /** Set when the body could not be read as the consumer API's Bundle or OperationOutcome. */
  note?: string;
  /** What the pack says the App should see (`patient.consumer.expectedView`), when it says. */
  expected?: ExpectedConsumerView;
  /** Expected versus actual for the consumer view; empty when it matched. Absent without `expected`. */
  differences?: string[];
}

/** The business rules an answer reports, in order (`AGGBR30: ...` -> `AGGBR30`). */
export function businessRulesOf(sample: AppViewSample): string[] {
  return sample.issues
    .filter((i) => i.code === 'business-rule')
    .map((i) => /^(AGGBR\d+)\b/.exec(i.diagnostics ?? '')?.[1] ?? '?');
}

/** EVA for the consumer view: the sample with the expected view and every difference from it. */
export function compareAppView(sample: AppViewSample, expected: ExpectedConsumerView): AppViewSample {
  const differences: string[] = [];
  const diff = (what: string, want: unknown, got: unknown) => {
    if (JSON.stringify(want) !== JSON.stringify(got))
      differences.push(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  };
  diff('status', expected.status, sample.status ?? null);
  diff('CarePlans', expected.carePlans, sample.carePlans);
  diff('activities', expected.activities, sample.activities);
  diff('business rules', expected.businessRules, businessRulesOf(sample));
  return { ...sample, expected, differences };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function issuesOf(outcome: Obj): AppViewIssue[] {
  if (!Array.isArray(outcome.issue)) return [];
  return outcome.issue.filter(isObj).map((i) => {
    const source = Array.isArray(i.extension)
      ? i.extension.filter(isObj).find((x) => x.url === PCA_URLS.errorSource)?.valueCode
      : undefined;
    const out: AppViewIssue = {};
    if (typeof i.severity === 'string') out.severity = i.severity;
    if (typeof i.code === 'string') out.code = i.code;
    if (typeof source === 'string') out.source = redactText(source);
    if (typeof i.diagnostics === 'string') out.diagnostics = redactText(i.diagnostics);
    return out;
  });
}

/** Summarises one `/aggregator/events` response; NHS numbers masked, nothing else of the body kept. */
export function appViewSample(input: {
  nhsNumber: string;
  status?: number;
  body: unknown;
  error?: string;
}): AppViewSample {
  const sample: AppViewSample = {
    nhsNumberMasked: maskNhsNumber(input.nhsNumber),
    ...(input.status !== undefined ? { status: input.status } : {}),
    activities: 0,
    carePlans: 0,
    issues: [],
  };
  if (input.status === undefined)
    return { ...sample, note: redactText(`no response: ${input.error ?? 'the request did not complete'}`) };
  let body = input.body;
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // Described below as text.
    }
  }
  // The aggregator answers 200 with an empty body when nobody holds data for the patient.
  if (body === undefined || body === '') return sample;
  if (!isObj(body)) return { ...sample, note: redactText(`unreadable response: ${describeBody(body)}`) };
  if (body.resourceType === 'OperationOutcome') return { ...sample, issues: issuesOf(body) };
  if (body.resourceType !== 'Bundle')
    return { ...sample, note: redactText(`unreadable response: ${describeBody(body)}`) };
  for (const entry of Array.isArray(body.entry) ? body.entry : []) {
    const r = isObj(entry) && isObj(entry.resource) ? entry.resource : undefined;
    if (!r) continue;
    if (r.resourceType === 'CarePlan') {
      sample.carePlans++;
      sample.activities += Array.isArray(r.activity) ? r.activity.length : 0;
    } else if (r.resourceType === 'OperationOutcome') {
      sample.issues.push(...issuesOf(r));
    }
  }
  return sample;
}
