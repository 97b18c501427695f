/**
 * DR-*: the DocumentReference API. DR-01..20 are the shared producer checks; DR-21 is about the
 * document deep link.
 */
import type { DocumentReference } from '../../core/fhir';
import { type Check, type Finding, judge, skip } from './check';
import { asBundle, checkId, happySpec, isAbsoluteHttps, resourcesOf, sharedProducerChecks } from './producer';
import { probe } from './probes';

const FAMILY = 'DR' as const;
const TYPE = 'DocumentReference' as const;

const specific: Check[] = [
  {
    id: checkId(FAMILY, 21),
    title: 'Every document links to the portal with an absolute https URL',
    family: FAMILY,
    requirements: ['PS-DOCUMENT-LINK', 'WF-NFR-12'],
    level: 'MUST',
    endpoint: TYPE,
    suite: 'rules',
    description:
      'Each DocumentReference content[].attachment.url is the portal deep link to the document: an absolute https URL.',
    fix: 'Set content[].attachment.url to the full https URL of the document in your portal.',
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
        if (resource.resourceType !== 'DocumentReference') continue;
        const content = Array.isArray((resource as DocumentReference).content)
          ? (resource as DocumentReference).content
          : [];
        if (content.length === 0)
          findings.push({
            title: `DocumentReference/${resource.id ?? '?'} has no content`,
            pointer: `${pointer}/content`,
            received: '(none)',
            expected: 'content[0].attachment.url',
            hint: 'every document needs its deep link',
          });
        content.forEach((c, i) => {
          n++;
          const url = c?.attachment?.url;
          if (!isAbsoluteHttps(url))
            findings.push({
              title: `DocumentReference/${resource.id ?? '?'} link is not an absolute https URL`,
              pointer: `${pointer}/content/${i}/attachment/url`,
              received: JSON.stringify(url ?? null),
              expected: 'https://...',
              hint: 'use the full https URL of the document in your portal',
            });
        });
      }
      return judge([r.exchange], findings, `${n} document link(s) judged`);
    },
  },
];

export const DR_CHECKS: readonly Check[] = [...sharedProducerChecks(FAMILY, TYPE), ...specific];
