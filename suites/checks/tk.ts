/**
 * TK-*: the Task (questionnaire) API. TK-01..20 are the shared producer checks; TK-21 is about the
 * questionnaire deep link.
 */
import type { Task } from '../../core/fhir';
import { type Check, type Finding, judge, skip } from './check';
import { asBundle, checkId, happySpec, isAbsoluteHttps, resourcesOf, sharedProducerChecks } from './producer';
import { probe } from './probes';

const FAMILY = 'TK' as const;
const TYPE = 'Task' as const;

const specific: Check[] = [
  {
    id: checkId(FAMILY, 21),
    title: 'Every questionnaire links to the portal with an absolute https URL',
    family: FAMILY,
    requirements: ['PS-QUESTIONNAIRE-LINK', 'WF-NFR-12'],
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
];

export const TK_CHECKS: readonly Check[] = [...sharedProducerChecks(FAMILY, TYPE), ...specific];
