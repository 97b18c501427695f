import { advance, compileRules, ELEMENT, IgnoreRuleError, MEMBER, NO_STATES } from './rules';

type Step = [typeof MEMBER, string] | [typeof ELEMENT, string];

/** True when the rules ignore the node reached by `steps` (or any node on the way). */
function ignored(rules: string[], steps: Step[]): boolean {
  const c = compileRules(rules);
  let states: readonly number[] | null = c.initial;
  for (const [kind, text] of steps) {
    if (kind === MEMBER && c.floating.has(text)) return true;
    states = advance(c, states, kind, kind === MEMBER ? text : '', () => text);
    if (states === null) return true;
  }
  return false;
}

const m = (name: string): Step => [MEMBER, name];
const el = (label: string): Step => [ELEMENT, label];

describe('ignore rules', () => {
  it('anchors rules that start with "/" at the root', () => {
    expect(ignored(['/id'], [m('id')])).toBe(true);
    expect(ignored(['/id'], [m('entry'), el('0'), m('resource'), m('id')])).toBe(false);
  });

  it('matches rules without "/" at any depth', () => {
    expect(ignored(['resource/id'], [m('entry'), el('id=x'), m('resource'), m('id')])).toBe(true);
    expect(ignored(['meta'], [m('entry'), el('id=x'), m('resource'), m('meta'), m('lastUpdated')])).toBe(true);
  });

  it('supports *, [*], [selector] and ** in the middle', () => {
    const path = [m('entry'), el('id=x'), m('resource'), m('extension'), el('url=https://a/b'), m('valueUrl')];
    expect(ignored(['/entry/*/resource/extension/*/valueUrl'], path)).toBe(true);
    expect(ignored(['/entry[*]/resource/extension[url=https://a/b]'], path)).toBe(true);
    expect(ignored(['/entry[id=y]/resource/extension[url=https://a/b]'], path)).toBe(false);
    expect(ignored(['/entry/**/valueUrl'], path)).toBe(true);
    expect(ignored(['/entry/**/valueCode'], path)).toBe(false);
    expect(ignored(['/entry/**'], path)).toBe(true);
  });

  it('asks for an element label only when a rule names one', () => {
    const c = compileRules(['/entry/*/search']);
    const label = jest.fn(() => 'id=x');
    const s = advance(c, c.initial, MEMBER, 'entry', label);
    expect(s).not.toBeNull();
    advance(c, s!, ELEMENT, '', label);
    expect(label).not.toHaveBeenCalled();
    expect(advance(c, NO_STATES, MEMBER, 'entry', label)).toBe(NO_STATES);
  });

  it('refuses rules that would ignore everything or cannot be read', () => {
    expect(() => compileRules(['**'])).toThrow(IgnoreRuleError);
    expect(() => compileRules(['/entry]'])).toThrow(/without a matching/);
    expect(() => compileRules(['/entry[]'])).toThrow(/empty selector/);
  });
});
