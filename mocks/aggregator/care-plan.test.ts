import type { Appointment, Bundle, CarePlan, OperationOutcome, ProducerResource } from '../../core/fhir';
import { validatePayload } from '../../contracts/validate';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { activitiesFrom, consumerAppointmentStatus, consumerBundle, encounterClass, toActivity } from './care-plan';

const pack = buildDefaultPack(new Date('2025-03-01T00:00:00Z'));

type Detail = {
  kind: string;
  status: string;
  description: string;
  extension: Array<{
    url: string;
    valueCode?: string;
    valueUrl?: string;
    valueCoding?: { code?: string };
    valueReference?: { reference: string };
  }>;
  scheduledPeriod?: { start: string; end?: string };
  location?: { display: string };
  performer?: Array<{ identifier: { value: string }; display: string }>;
};

const ext = (d: Detail, suffix: string) => d.extension.find((e) => e.url.endsWith(suffix));

function detailOf(r: ProducerResource): Detail {
  return toActivity(r, 'portal-01')!.detail as unknown as Detail;
}

describe('consumerBundle', () => {
  it.each(
    pack.patients
      .filter((p) => Object.values(p.expected).some((b) => (b?.entry?.length ?? 0) > 0))
      .map((p) => [p.scenario, p] as const),
  )('maps every resource of pack patient "%s" to a CarePlan that passes the aggregator schema', (_s, p) => {
    const activities = Object.values(p.expected).flatMap((b) => activitiesFrom(b as Bundle, 'portal-01'));
    const count = Object.values(p.expected).reduce((n, b) => n + (b?.entry?.length ?? 0), 0);
    expect(activities).toHaveLength(count);
    const bundle = consumerBundle({
      correlationId: 'c-1',
      nhsNumber: p.nhsNumber,
      activities,
      issues: [],
      baseUrl: 'http://127.0.0.1:7070/',
    })!;
    expect(validatePayload('aggregator-bundle', bundle).diagnostics).toEqual([]);
    expect(bundle.entry![0]!.fullUrl).toBe('http://127.0.0.1:7070/CarePlan/c-1');
  });

  it('is undefined when there is neither data nor an upstream error (200 with an empty body)', () => {
    expect(
      consumerBundle({ correlationId: 'c', nhsNumber: '9990000018', activities: [], issues: [], baseUrl: 'http://x' }),
    ).toBeUndefined();
  });

  it('carries only an OperationOutcome when every upstream failed, counted in total', () => {
    const b = consumerBundle({
      correlationId: 'c',
      nhsNumber: '9990000018',
      activities: [],
      issues: [{ clientId: 'p-1', code: 'timeout', diagnostics: 'p-1 request timed out' }],
      baseUrl: 'http://x',
    })!;
    expect(validatePayload('aggregator-bundle', b).valid).toBe(true);
    expect(b.total).toBe(1);
    const oo = b.entry![0]!.resource as OperationOutcome;
    expect(b.entry![0]!.search).toEqual({ mode: 'include' });
    expect(oo.issue[0]!.extension).toEqual([
      { url: 'https://fhir.nhs.uk/StructureDefinition/ExtensionErrorSource', valueCode: 'p-1' },
    ]);
    expect(
      (b.entry as Array<{ resource: CarePlan | OperationOutcome }>).some((e) => e.resource.resourceType === 'CarePlan'),
    ).toBe(false);
  });
});

describe('activity mapping', () => {
  const all = pack.patients.flatMap((p) =>
    Object.values(p.expected).flatMap((b) =>
      ((b as Bundle | undefined)?.entry ?? []).map((e) => e.resource as ProducerResource),
    ),
  );
  const appointments = all.filter((r): r is Appointment => r.resourceType === 'Appointment');

  it('combines the PAS status with a pending request (dumb booking)', () => {
    const base: Appointment = { resourceType: 'Appointment', status: 'booked', participant: [] };
    const withRequest = (status: Appointment['status'], code: string): Appointment => ({
      ...base,
      status,
      extension: [
        { url: 'https://fhir.nhs.uk/StructureDefinition/Extension-Appointment-RequestStatus', valueCode: code },
      ],
    });
    expect(consumerAppointmentStatus(withRequest('booked', 'Pending Cancellation'))).toBe('bookedPendingCancellation');
    expect(consumerAppointmentStatus(withRequest('booked', 'Pending Reschedule'))).toBe('bookedPendingReschedule');
    expect(consumerAppointmentStatus(withRequest('booked', 'Pending Change'))).toBe('bookedPendingChange');
    expect(consumerAppointmentStatus(withRequest('cancelled', 'Pending Reschedule'))).toBe(
      'cancelledPendingReschedule',
    );
    expect(consumerAppointmentStatus(withRequest('booked', 'Confirmed Attendance'))).toBe('booked');
    expect(consumerAppointmentStatus({ ...base, status: 'noshow' })).toBe('noshow');
  });

  it('derives the encounter class: IMP ending the same day is a day case', () => {
    const imp = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' }] };
    const a: Appointment = {
      resourceType: 'Appointment',
      status: 'booked',
      participant: [],
      appointmentType: imp,
      start: '2025-06-13T08:00:00+00:00',
      end: '2025-06-16T17:00:00+00:00',
    };
    expect(encounterClass(a)).toBe('inpatient');
    expect(encounterClass({ ...a, end: '2025-06-13T17:00:00+00:00' })).toBe('daycase');
    expect(encounterClass({ ...a, appointmentType: undefined })).toBe('outpatient');
    const kinds = new Set(appointments.map(encounterClass));
    expect(kinds).toEqual(new Set(['outpatient', 'inpatient', 'daycase']));
  });

  it('keeps the deep link, names the source client and takes the location and trust from the participants', () => {
    const a = appointments.find((x) =>
      x.participant.some((p) => p.actor?.type === 'Location' && !p.actor.identifier && p.actor.display),
    )!;
    const d = detailOf(a);
    expect(d.kind).toBe('Appointment');
    expect(ext(d, 'Extension-Portal-Link')!.valueUrl).toBe(
      a.extension!.find((e) => e.url.endsWith('Extension-Portal-Link'))!.valueUrl,
    );
    expect(ext(d, 'Extension-Client-id')!.valueCode).toBe('portal-01');
    const building = a.participant.find((p) => p.actor?.type === 'Location' && !p.actor.identifier)!.actor!.display;
    expect(d.location!.display).toBe(building);
    const ods = a.participant.find(
      (p) => p.actor?.identifier?.system === 'https://fhir.nhs.uk/Id/ods-organization-code',
    )!.actor!.identifier!.value;
    expect(d.performer![0]!.identifier.value).toBe(ods);
    expect(d.scheduledPeriod!.start).toBe(a.start);
  });

  it('maps documents: deep link from the attachment, linked appointment, read receipt in lower case', () => {
    const doc = all.find(
      (r) => r.resourceType === 'DocumentReference' && r.context?.related?.length && r.extension?.length,
    )!;
    if (doc.resourceType !== 'DocumentReference') throw new Error('unreachable');
    const d = detailOf(doc);
    expect(d.kind).toBe('DocumentReference');
    expect(ext(d, 'Extension-Portal-Link')!.valueUrl).toBe(doc.content[0]!.attachment.url);
    expect(ext(d, 'Extension-Linked-Resource')!.valueReference!.reference).toMatch(/^Appointment\/[^/]+$/);
    expect(ext(d, 'Extension-Read-Receipt')!.valueCode).toBe(
      doc.extension!.find((e: { url: string }) => e.url.endsWith('ReadReceipt'))!.valueCode!.toLowerCase(),
    );
    expect(d.description).toBe(doc.description);
  });

  it('maps tasks to questionnaires with the consumer status names', () => {
    const tasks = all.filter((r) => r.resourceType === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const t of tasks) {
      if (t.resourceType !== 'Task') continue;
      const d = detailOf(t);
      expect(d.kind).toBe('QuestionnaireResponse');
      expect(d.status).toBe(
        { requested: 'not-started', 'in-progress': 'in-progress', completed: 'completed', cancelled: 'cancelled' }[
          t.status as string
        ],
      );
      expect(ext(d, 'Extension-Portal-Link')!.valueUrl).toBe(t.reasonReference!.reference);
    }
  });

  it('ignores entries that are not search matches', () => {
    const b = structuredClone(
      pack.patients.find((p) => (p.expected.Appointment?.entry?.length ?? 0) > 0)!.expected.Appointment!,
    ) as Bundle;
    b.entry!.push({
      search: { mode: 'outcome' },
      resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] },
    });
    expect(activitiesFrom(b, 'x')).toHaveLength(b.entry!.length - 1);
  });
});
