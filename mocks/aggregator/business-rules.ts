/**
 * The aggregator's business rules, as the consumer spec's examples show them applied to what the
 * upstreams returned. Each suppression is reported, never silent: an `information` issue with code
 * `business-rule`, naming the upstream (ExtensionErrorSource) and worded as the examples word it.
 *
 *   AGGBR30  a supplier record dated more than 8 years in the past is rejected
 *   AGGBR23  a waiting-list entry from an excluded ODS code is dropped
 *   AGGBR34  a waiting-list PIFU questionnaire from an excluded ODS code is rejected
 *   AGGBR33  a supplier's (PEP's) PIFU questionnaire on the same pathway replaces the waiting list's
 *
 * Pure: data in, data and issues out, with the day passed in.
 */
import type { BusinessRuleConfig } from '../../core/config';
import { type CarePlanActivity, PCA_URLS, type ProducerResource } from '../../core/fhir';
import type { WaitingListEntry } from '../../fixtures/pack';
import { type SupplierItem, type UpstreamIssue, waitingListPifuActivity } from './care-plan';
import { WAITING_LIST_CLIENT_ID } from './sources';

export type BusinessRuleId = 'AGGBR23' | 'AGGBR30' | 'AGGBR33' | 'AGGBR34';

export interface BusinessRules {
  maxRecordAgeYears: number;
  waitingListExcludedOds: string[];
  questionnaireExcludedOds: string[];
}

/** The lists the consumer spec's examples imply: 8 years, and the test organisation `TST` excluded. */
export const DEFAULT_BUSINESS_RULES: BusinessRules = {
  maxRecordAgeYears: 8,
  waitingListExcludedOds: ['TST'],
  questionnaireExcludedOds: ['TST'],
};

export function businessRules(config: BusinessRuleConfig | undefined): BusinessRules {
  return {
    maxRecordAgeYears: config?.maxRecordAgeYears ?? DEFAULT_BUSINESS_RULES.maxRecordAgeYears,
    waitingListExcludedOds: config?.waitingListExcludedOds ?? DEFAULT_BUSINESS_RULES.waitingListExcludedOds,
    questionnaireExcludedOds: config?.questionnaireExcludedOds ?? DEFAULT_BUSINESS_RULES.questionnaireExcludedOds,
  };
}

export interface RuleInput {
  now: Date;
  /** Records from suppliers that answered, in order. */
  supplierItems: SupplierItem[];
  /** Entries from the waiting-list source (empty when it failed or holds none). */
  waitingList: WaitingListEntry[];
}

export interface WaitingListResult {
  entry: WaitingListEntry;
  /** The PIFU questionnaire kept for the pathway: the PEP's (AGGBR33) or the waiting list's. */
  activity?: CarePlanActivity;
}

export interface RuleResult {
  /** Supplier activities for the main CarePlan. */
  activities: CarePlanActivity[];
  waitingLists: WaitingListResult[];
  issues: UpstreamIssue[];
}

function rule(id: BusinessRuleId, clientId: string, text: string): UpstreamIssue {
  return { clientId, code: 'business-rule', severity: 'information', diagnostics: `${id}: ${text}` };
}

/** The date a record is judged by: appointment start, document date, questionnaire authored. */
function recordDate(r: ProducerResource): string | undefined {
  switch (r.resourceType) {
    case 'Appointment':
      return r.start;
    case 'DocumentReference':
      return r.date ?? r.context?.period?.start;
    case 'Task':
      return (r as { authored?: string }).authored ?? r.authoredOn;
  }
}

function yearsBefore(now: Date, years: number): number {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.getTime();
}

/** The pathway a supplier's PIFU questionnaire belongs to (Task.basedOn PathwayId), if it is one. */
export function pifuPathwayOf(r: ProducerResource): string | undefined {
  if (r.resourceType !== 'Task') return undefined;
  const basedOn = (r as { basedOn?: Array<{ identifier?: { system?: string; value?: string } }> }).basedOn;
  return basedOn?.find((b) => b.identifier?.system === PCA_URLS.pathwayId)?.identifier?.value;
}

export function applyBusinessRules(input: RuleInput, rules: BusinessRules): RuleResult {
  const issues: UpstreamIssue[] = [];
  const cutoff = yearsBefore(input.now, rules.maxRecordAgeYears);

  // AGGBR30 first: a record too old to show cannot take part in AGGBR33 either.
  const kept: SupplierItem[] = [];
  for (const item of input.supplierItems) {
    const date = recordDate(item.resource);
    const t = date ? Date.parse(date) : Number.NaN;
    if (!Number.isNaN(t) && t < cutoff) {
      issues.push(
        rule(
          'AGGBR30',
          item.clientId,
          `rejected ${item.resource.resourceType} ${item.resource.id ?? 'undefined'} with date ${date} due to being over ${rules.maxRecordAgeYears} years in the past`,
        ),
      );
      continue;
    }
    kept.push(item);
  }

  const waitingLists: WaitingListResult[] = [];
  const movedToPathway = new Set<SupplierItem>();
  for (const entry of input.waitingList) {
    if (rules.waitingListExcludedOds.includes(entry.ods)) {
      issues.push(
        rule(
          'AGGBR23',
          WAITING_LIST_CLIENT_ID,
          `excluding WaitingList entry with org code ${entry.ods} due to exclusion rule`,
        ),
      );
      continue;
    }
    let activity: CarePlanActivity | undefined;
    const pifuOds = entry.pifu?.ods ?? entry.ods;
    if (entry.pifu && rules.questionnaireExcludedOds.includes(pifuOds)) {
      // The examples print the waiting list's questionnaire id, which it often lacks, as `undefined`.
      issues.push(
        rule(
          'AGGBR34',
          WAITING_LIST_CLIENT_ID,
          `rejected Task ${entry.pifu.id ?? 'undefined'} from ${WAITING_LIST_CLIENT_ID} with orgCode ${pifuOds} due to ODS whitelist exclusion`,
        ),
      );
    } else {
      activity = waitingListPifuActivity(entry);
    }
    const pep = kept.find((i) => !movedToPathway.has(i) && pifuPathwayOf(i.resource) === entry.pathwayId);
    if (pep) {
      movedToPathway.add(pep);
      if (activity)
        issues.push(
          rule(
            'AGGBR33',
            WAITING_LIST_CLIENT_ID,
            `questionnaire with pathwayId ${entry.pathwayId} from ${WAITING_LIST_CLIENT_ID} has been replaced with questionnaire from ${pep.clientId} due to PEP priority`,
          ),
        );
      activity = pep.activity;
    }
    waitingLists.push({ entry, ...(activity ? { activity } : {}) });
  }

  return {
    activities: kept.filter((i) => !movedToPathway.has(i)).map((i) => i.activity),
    waitingLists,
    issues,
  };
}
