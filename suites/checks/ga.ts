/**
 * GA-*: the Get Appointments API. GA-01..20 are the producer checks every endpoint shares;
 * GA-21.. are about appointments only: consultation medium, the portal deep link, and cancelled
 * appointments being included.
 */
import type { Appointment } from '../../core/fhir';
import { PCA_URLS, findExtension } from '../../core/fhir';
import { CONSULTATION_MEDIUM_CODES } from '../../contracts/schemas/common';
import { type Check, type CheckContext, type Finding, type CheckVerdict, fail, judge, skip } from './check';
import {
  asBundle,
  checkId,
  excerpt,
  happySpec,
  isAbsoluteHttps,
  resourcesOf,
  sharedProducerChecks,
  statusFinding,
} from './producer';
import { probe } from './probes';

const FAMILY = 'GA' as const;
const TYPE = 'Appointment' as const;

/** Appointments of the happy patient and of the patient with a cancelled appointment: every appointment the run saw. */
async function appointmentsSeen(
  ctx: CheckContext,
): Promise<
  | { exchanges: Parameters<typeof judge>[0]; items: Array<{ a: Appointment; pointer: string; label: string }> }
  | CheckVerdict
> {
  const specs = [
    happySpec(ctx, TYPE),
    ...(ctx.roster.withCancelledAppointment
      ? [{ label: 'patient with a cancelled appointment', patient: ctx.roster.withCancelledAppointment }]
      : []),
  ];
  const exchanges: Parameters<typeof judge>[0] = [];
  const items: Array<{ a: Appointment; pointer: string; label: string }> = [];
  for (const spec of specs) {
    if ('unavailable' in spec) return skip(spec.unavailable);
    const r = await probe(ctx, TYPE, spec);
    if ('unavailable' in r) return skip(r.unavailable);
    const b = asBundle(r.exchange);
    if (r.exchange.response.status !== 200 || !b) continue;
    exchanges.push(r.exchange);
    for (const { resource, pointer } of resourcesOf(b))
      if (resource.resourceType === 'Appointment') items.push({ a: resource, pointer, label: spec.label });
  }
  if (exchanges.length === 0) return skip(`no Bundle to judge (${checkId(FAMILY, 1)} reports why)`);
  if (items.length === 0) return skip('the Bundles judged hold no appointments', exchanges);
  return { exchanges, items };
}

function isVerdict(v: unknown): v is CheckVerdict {
  return typeof v === 'object' && v !== null && 'outcome' in v;
}

const ALLOWED_MEDIA: readonly string[] = CONSULTATION_MEDIUM_CODES;

const specific: Check[] = [
  {
    id: checkId(FAMILY, 21),
    title: 'Consultation medium is FACE_TO_FACE, VIDEO_CONSULTATION or TELEPHONE',
    family: FAMILY,
    requirements: ['PS-CONSULTATION-MEDIUM'],
    level: 'MUST',
    endpoint: TYPE,
    suite: 'rules',
    description:
      'Every appointment carries the Consultation-Medium extension with one of the three allowed codes; VIRTUAL is deprecated and the aggregator drops it, with any other value.',
    fix: `Map your consultation types to ${CONSULTATION_MEDIUM_CODES.join(', ')} in ${PCA_URLS.consultationMedium}; send VIDEO_CONSULTATION instead of VIRTUAL.`,
    async run(ctx) {
      const seen = await appointmentsSeen(ctx);
      if (isVerdict(seen)) return seen;
      const findings: Finding[] = [];
      for (const { a, pointer } of seen.items) {
        const ext = findExtension(a, PCA_URLS.consultationMedium);
        const i = (a.extension ?? []).findIndex((e) => e.url === PCA_URLS.consultationMedium);
        if (!ext) {
          findings.push({
            title: `Appointment/${a.id ?? '?'} has no Consultation-Medium extension`,
            pointer: `${pointer}/extension`,
            received: '(absent)',
            expected: ALLOWED_MEDIA.join(' | '),
            hint: 'add the Consultation-Medium extension to every appointment',
          });
        } else if (!ALLOWED_MEDIA.includes(ext.valueCode ?? '')) {
          findings.push({
            title: `Appointment/${a.id ?? '?'} has consultation medium ${JSON.stringify(ext.valueCode ?? null)}`,
            pointer: `${pointer}/extension/${i}/valueCode`,
            received: String(ext.valueCode ?? '(no valueCode)'),
            expected: ALLOWED_MEDIA.join(' | '),
            hint: 'VIRTUAL is deprecated: use VIDEO_CONSULTATION or TELEPHONE',
          });
        }
      }
      return judge(seen.exchanges, findings, `${seen.items.length} appointment(s) judged`);
    },
  },
  {
    id: checkId(FAMILY, 22),
    title: 'Every appointment has a portal deep link that is an absolute https URL',
    family: FAMILY,
    requirements: ['PS-PORTAL-LINK', 'WF-NFR-12'],
    level: 'MUST',
    endpoint: TYPE,
    suite: 'rules',
    description:
      'Every appointment carries the Portal-Link extension whose valueUrl is an absolute https URL into the portal (the NHS App opens it for the patient).',
    fix: `Add {"url": "${PCA_URLS.portalLink}", "valueUrl": "https://<your portal>/..."} to every appointment.`,
    async run(ctx) {
      const seen = await appointmentsSeen(ctx);
      if (isVerdict(seen)) return seen;
      const findings: Finding[] = [];
      for (const { a, pointer } of seen.items) {
        const i = (a.extension ?? []).findIndex((e) => e.url === PCA_URLS.portalLink);
        const link = i >= 0 ? a.extension![i]!.valueUrl : undefined;
        if (i < 0)
          findings.push({
            title: `Appointment/${a.id ?? '?'} has no portal deep link`,
            pointer: `${pointer}/extension`,
            received: '(no Portal-Link extension)',
            expected: 'an absolute https URL',
            hint: 'every appointment needs its deep link',
          });
        else if (!isAbsoluteHttps(link))
          findings.push({
            title: `Appointment/${a.id ?? '?'} deep link is not an absolute https URL`,
            pointer: `${pointer}/extension/${i}/valueUrl`,
            received: JSON.stringify(link ?? null),
            expected: 'https://...',
            hint: 'use the full https URL of the appointment page in your portal',
          });
      }
      return judge(seen.exchanges, findings, `${seen.items.length} appointment(s) judged`);
    },
  },
  {
    id: checkId(FAMILY, 23),
    title: 'Cancelled appointments are included',
    family: FAMILY,
    requirements: ['PS-INCLUDE-CANCELLED'],
    level: 'MUST',
    endpoint: TYPE,
    suite: 'rules',
    description:
      '"Include all appointments, future dated and historic, in scope of the programme requirements. This includes cancelled appointments." A pack patient with a cancelled appointment gets it back with status cancelled.',
    fix: 'Do not filter cancelled appointments out of the response; return them with status "cancelled".',
    async run(ctx) {
      const patient = ctx.roster.withCancelledAppointment;
      if (!patient) return skip('the fixture pack has no eligible patient with a cancelled appointment');
      const r = await probe(ctx, TYPE, { label: 'patient with a cancelled appointment', patient });
      if ('unavailable' in r) return skip(r.unavailable);
      const ex = r.exchange;
      const b = asBundle(ex);
      if (ex.response.status !== 200 || !b)
        return fail(
          [ex],
          [statusFinding(ex, '200 with a Bundle', 'a patient with appointments must get 200 and a Bundle')],
        );
      const expected = (patient.expected.Appointment?.entry ?? []).filter(
        (e) => e.resource?.status === 'cancelled',
      ).length;
      const got = resourcesOf(b).filter(
        ({ resource }) => resource.resourceType === 'Appointment' && (resource as Appointment).status === 'cancelled',
      ).length;
      if (got >= expected) return judge([ex], [], `${got} cancelled appointment(s) returned`);
      return fail(
        [ex],
        [
          {
            title: 'cancelled appointments are missing',
            pointer: '/entry',
            received: `${got} cancelled of ${b.entry?.length ?? 0} entries: ${excerpt(ex.response.text, 80)}`,
            expected: `${expected} cancelled appointment(s), as the pack holds`,
            hint: 'include cancelled appointments with status "cancelled"',
          },
        ],
      );
    },
  },
];

export const GA_CHECKS: readonly Check[] = [...sharedProducerChecks(FAMILY, TYPE), ...specific];
