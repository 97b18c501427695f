/**
 * Picks the patients the checks need by looking at the pack's data, so any pack works (the default
 * one, a generated one, a supplier's own), and no NHS number is written into a check.
 */
import { type ProducerResourceType, PRODUCER_RESOURCE_TYPES } from '../../core/fhir';
import { ageInYears, isUnder16 } from '../../core/clock';
import { type FixturePack, type PackPatient, isEligible } from '../../fixtures/pack';
import type { Roster } from './check';

function count(p: PackPatient, type: ProducerResourceType): number {
  return p.expected[type]?.entry?.length ?? 0;
}

function cancelledAppointments(p: PackPatient): number {
  return (p.expected.Appointment?.entry ?? []).filter((e) => e.resource?.status === 'cancelled').length;
}

/** First patient by pack order, so the choice is stable and easy to find in the pack file. */
export function chooseRoster(pack: FixturePack, on: Date): Roster {
  const eligible = pack.patients.filter((p) => isEligible(p, on));
  const withData: Partial<Record<ProducerResourceType, PackPatient>> = {};
  for (const type of PRODUCER_RESOURCE_TYPES) {
    const p = eligible.find((x) => count(x, type) > 0);
    if (p) withData[type] = p;
  }
  // A child well clear of their 16th birthday, so a long run cannot cross it; with data if possible.
  const children = pack.patients.filter(
    (p) => isUnder16(p.birthDate, on) && ageInYears(p.birthDate, new Date(on.getTime() + 7 * 86_400_000)) < 16,
  );
  const under16 = children.find((p) => PRODUCER_RESOURCE_TYPES.some((t) => count(p, t) > 0)) ?? children[0];
  return {
    withData,
    withCancelledAppointment: eligible.find((p) => cancelledAppointments(p) > 0),
    withNothing: eligible.find((p) => PRODUCER_RESOURCE_TYPES.every((t) => count(p, t) === 0) && !hasWithheld(p)),
    under16,
    other: (patient) => eligible.find((p) => p.nhsNumber !== patient.nhsNumber),
  };
}

function hasWithheld(p: PackPatient): boolean {
  return PRODUCER_RESOURCE_TYPES.some((t) => (p.withheld?.[t]?.entry?.length ?? 0) > 0);
}

/** One line per role, NHS numbers masked by the caller's printer: for `--list` and the report header. */
export function describeRoster(r: Roster): Array<{ role: string; patient?: PackPatient }> {
  return [
    { role: 'with appointments', patient: r.withData.Appointment },
    { role: 'with documents', patient: r.withData.DocumentReference },
    { role: 'with questionnaires', patient: r.withData.Task },
    { role: 'with a cancelled appointment', patient: r.withCancelledAppointment },
    { role: 'with nothing to show', patient: r.withNothing },
    { role: 'under 16', patient: r.under16 },
  ];
}
