/**
 * TK-*: the Task (questionnaire) API. TK-01..20 and 30.. are the shared producer checks; TK-21 is
 * about the questionnaire deep link, TK-22 about lastModified.
 */
import type { Task } from '../../core/fhir';
import { isEligible, type PackPatient } from '../../fixtures/pack';
import { type Check, type CheckContext, type Finding, judge, skip } from './check';
import {
  asBundle,
  checkId,
  happySpec,
  isAbsoluteHttps,
  resourcesOf,
  sharedProducerChecks,
  closingProducerChecks,
} from './producer';
import { probe } from './probes';

const FAMILY = 'TK' as const;
const TYPE = 'Task' as const;

const specific: Check[] = [
  {
    id: 'TK-21',
    title: 'Every questionnaire links to the portal with an absolute https URL',
    family: FAMILY,
    requirements: ['producer:PS-QUESTIONNAIRE-LINK', 'producer:WF-NFR-12'],
    level: 'MUST',
    endpoint: TYPE,
    suite: 'rules',
    description:
      'Each Task reasonReference.reference is the portal deep link to the questionnaire: an absolute https URL.',
    fix: 'Set reasonReference.reference to the full https URL of the questionnaire in your portal.',
    async run(ctx) {
      const spec = happySpec(ctx, TYPE);
      if ('unavailable' in spec) return skip(spec.unavailable);
      const r = await probe(ctx, TYPE, spec);
      if ('unavailable' in r) return skip(r.unavailable);
      const b = asBundle(r.exchange);
      if (r.exchange.response.status !== 200 || !b)
        return skip(`no Bundle to judge (${checkId(FAMILY, 1)} reports why)`, [r.exchange]);
      const findings: Finding[] = [];
      let n = 0;
      for (const { resource, pointer } of resourcesOf(b)) {
        if (resource.resourceType !== 'Task') continue;
        n++;
        const ref = (resource as Task).reasonReference?.reference;
        if (!isAbsoluteHttps(ref))
          findings.push({
            title: `Task/${resource.id ?? '?'} questionnaire link is not an absolute https URL`,
            pointer: `${pointer}/reasonReference/reference`,
            received: JSON.stringify(ref ?? null),
            expected: 'https://...',
            hint: 'use the full https URL of the questionnaire in your portal',
          });
      }
      return judge([r.exchange], findings, `${n} questionnaire link(s) judged`);
    },
  },
  {
    id: 'TK-22',
    title: 'lastModified is not before the date the questionnaire was authored',
    family: FAMILY,
    requirements: ['producer:PS-TASK-DATES'],
    level: 'MUST',
    endpoint: TYPE,
    suite: 'rules',
    description:
      'Task.lastModified, where present, "must be greater than or equal to authored date". The schema names the field authored, its example authoredOn: both are read.',
    fix: 'Set lastModified to when the patient completed (or last requested follow-up on) the questionnaire, never earlier than authored/authoredOn.',
    async run(ctx) {
      const patient = withLastModified(ctx);
      if (!patient) return skip('the fixture pack has no eligible patient with a questionnaire that has lastModified');
      const r = await probe(ctx, TYPE, { label: 'patient with a completed questionnaire', patient });
      if ('unavailable' in r) return skip(r.unavailable);
      const b = asBundle(r.exchange);
      if (r.exchange.response.status !== 200 || !b)
        return skip(`no Bundle to judge (${checkId(FAMILY, 1)} reports why)`, [r.exchange]);
      const findings: Finding[] = [];
      let n = 0;
      for (const { resource, pointer } of resourcesOf(b)) {
        if (resource.resourceType !== 'Task') continue;
        const t = resource as Task & { authored?: unknown };
        if (typeof t.lastModified !== 'string') continue;
        const modified = Date.parse(t.lastModified);
        for (const [field, value] of [
          ['authored', t.authored],
          ['authoredOn', t.authoredOn],
        ] as const) {
          if (typeof value !== 'string' || Number.isNaN(modified) || Number.isNaN(Date.parse(value))) continue;
          n++;
          if (modified < Date.parse(value))
            findings.push({
              title: `Task/${t.id ?? '?'} lastModified is before ${field}`,
              pointer: `${pointer}/lastModified`,
              received: `lastModified ${t.lastModified}, ${field} ${value}`,
              expected: `lastModified >= ${field}`,
              hint: 'lastModified records when the patient completed the questionnaire: it cannot precede its creation',
            });
        }
      }
      if (n === 0)
        return skip('no Task in the response carries lastModified with authored or authoredOn', [r.exchange]);
      return judge([r.exchange], findings, `${n} date pair(s) judged`);
    },
  },
];

/** An eligible pack patient whose questionnaires include a lastModified, so TK-22 has something to judge. */
function withLastModified(ctx: CheckContext): PackPatient | undefined {
  const on = ctx.clock.now();
  return ctx.pack.patients.find(
    (p) =>
      isEligible(p, on) &&
      (p.expected.Task?.entry ?? []).some((e) => typeof (e.resource as Task | undefined)?.lastModified === 'string'),
  );
}

export const TK_CHECKS: readonly Check[] = [
  ...sharedProducerChecks(FAMILY, TYPE),
  ...specific,
  ...closingProducerChecks(FAMILY, TYPE),
];
