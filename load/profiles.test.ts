import {
  applyOverrides,
  describeProfiles,
  getProfile,
  mixPicker,
  patientKind,
  pickWeighted,
  planFromProfile,
  plannedArrivals,
  PROFILES,
  ProfileError,
  rateAt,
  recordBatches,
  resolveProfile,
  selectMix,
  throttleBand,
} from './profiles';

describe('profiles', () => {
  it('carry the budgets of the specifications and the brief', () => {
    expect(PROFILES.default).toMatchObject({
      target: 'supplier',
      rate: 25,
      thresholds: { p95Ms: 1000, maxErrorRate: 0.01 },
    });
    expect(PROFILES['supplier-standard']).toMatchObject({
      target: 'supplier',
      rate: 25,
      thresholds: { p95Ms: 400, maxErrorRate: 0.01 },
    });
    expect(PROFILES.aggregator).toMatchObject({ target: 'aggregator', rate: 25, thresholds: { p95Ms: 1000 } });
    expect(PROFILES.throttle!.thresholds.throttle).toEqual({ limitTps: 60, tolerance: 0.1 });
    expect(PROFILES.throttle!.alsoAccept).toEqual([429]);
    expect(PROFILES['records-bulk']).toMatchObject({ target: 'records', batchSize: 200 });
  });

  it('ramp the throttle profile past 60 TPS, from well below it', () => {
    const p = PROFILES.throttle!;
    const t = p.thresholds.throttle!;
    expect(throttleBand(rateAt(p.rate, p.ramp!, 0), t)).toBe('below');
    expect(throttleBand(rateAt(p.rate, p.ramp!, 35_000), t)).toBe('above');
    expect(rateAt(30, p.ramp!, 15_000)).toBe(60);
    expect(plannedArrivals(30, p.ramp!)).toBe(2700);
  });

  it('apply overrides to a copy and check them, naming the flag', () => {
    const p = resolveProfile('supplier-standard', { rate: 10, durationMs: 5000, p95Ms: 250, maxInFlight: 20 });
    expect(p).toMatchObject({ rate: 10, durationMs: 5000, maxInFlight: 20, thresholds: { p95Ms: 250 } });
    expect(PROFILES['supplier-standard']).toMatchObject({ rate: 25, durationMs: 60_000, thresholds: { p95Ms: 400 } });
    expect(() => resolveProfile('supplier-standard', { rate: 0 })).toThrow(
      new ProfileError('--rate must be more than 0 and at most 100000 per second, got 0'),
    );
    expect(() => resolveProfile('records-bulk', { batchSize: 5001 })).toThrow(
      /--batch-size must be a whole number from 1 to 5000/,
    );
    expect(() => resolveProfile('nope')).toThrow(
      /there is no load profile "nope"; choose one of default, supplier-standard/,
    );
    expect(() => resolveProfile('throttle', { rate: 50 })).toThrow(ProfileError);
    expect(getProfile('throttle')).not.toBe(PROFILES.throttle);
  });

  it('stretch a ramp to a new duration, keeping the rates it passes', () => {
    const p = applyOverrides(PROFILES.throttle!, { durationMs: 4000 });
    expect(p.ramp).toEqual([
      { durationMs: 3000, toRate: 90 },
      { durationMs: 1000, toRate: 90 },
    ]);
    expect(planFromProfile(p)).toMatchObject({
      startRate: 30,
      stages: p.ramp,
      maxInFlight: 400,
      thresholds: { throttle: { limitTps: 60 }, requirements: ['producer WF-NFR-03', 'consumer WF-NFR-03'] },
    });
  });

  it('point a profile at another API', () => {
    expect(resolveProfile('throttle', { api: 'aggregator' }).target).toBe('aggregator');
  });

  it('describe themselves for --help', () => {
    const text = describeProfiles();
    expect(text.split('\n')).toHaveLength(Object.keys(PROFILES).length);
    expect(text).toMatch(/records-bulk +records +2\/s for 30s +P95 <= 1000 ms, errors < 1%/);
  });
});

describe('the patient mix', () => {
  const patients = [
    { id: 'a', under16: false, flags: {} },
    { id: 'b', under16: true, flags: {} },
    { id: 'c', under16: false, flags: { sensitive: true } },
    { id: 'd', under16: true, flags: { excludedByTrust: true } },
    { id: 'e', under16: false, flags: {} },
  ];
  const kind = (p: (typeof patients)[number]) => patientKind(p.under16, p.flags);

  it('leaves sensitive and trust-excluded patients out, whatever their age', () => {
    expect(patients.map(kind)).toEqual(['eligible', 'under16', undefined, undefined, 'eligible']);
  });

  it('selects by weight, capped per kind', () => {
    expect(selectMix(patients, kind, { eligible: 1 }, 10).map((m) => m.patient.id)).toEqual(['a', 'e']);
    expect(selectMix(patients, kind, { eligible: 1, under16: 1 }, 1).map((m) => m.patient.id)).toEqual(['a', 'b']);
  });

  it('spreads a 5% share evenly through the run, and weights out kinds nobody is in', () => {
    const picks = Array.from({ length: 1000 }, (_, i) => pickWeighted(i, { eligible: 0.95, under16: 0.05 }));
    const under = picks.filter((k) => k === 'under16').length;
    expect(under).toBeGreaterThanOrEqual(45);
    expect(under).toBeLessThanOrEqual(55);
    // Never two under-16s in a row at a 5% share.
    expect(picks.some((k, i) => k === 'under16' && picks[i + 1] === 'under16')).toBe(false);
    const onlyEligible = mixPicker(selectMix(patients, kind, { eligible: 1 }, 10), { eligible: 0.5, under16: 0.5 });
    expect(new Set(Array.from({ length: 20 }, (_, i) => onlyEligible(i).kind))).toEqual(new Set(['eligible']));
    expect(() => mixPicker([], { eligible: 1 })).toThrow(/no patients for this profile's mix/);
  });

  it('uses independent streams for independent choices', () => {
    const a = Array.from({ length: 200 }, (_, i) => pickWeighted(i, { x: 1, y: 1 }, 0));
    const b = Array.from({ length: 200 }, (_, i) => pickWeighted(i, { x: 1, y: 1 }, 1));
    expect(a).not.toEqual(b);
  });
});

describe('recordBatches', () => {
  it('tops up to one full batch with synthetic numbers not in the pack, then splits', () => {
    const synthetic = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
    expect(recordBatches(['p1', 'p2'], 4, synthetic)).toEqual({
      numbers: ['p1', 'p2', 's0', 's1'],
      batches: [['p1', 'p2', 's0', 's1']],
    });
    expect(recordBatches(['s0', 'p2'], 3, synthetic).numbers).toEqual(['s0', 'p2', 's1']);
    expect(recordBatches(['a', 'b', 'c', 'd', 'e'], 2, synthetic).batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});
