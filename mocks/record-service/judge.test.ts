import { DEFAULT_SYNTHETIC_RANGES, generateNhsNumbers } from '../../core/nhs-number';
import { ClientRegistry } from './clients';
import {
  judgeRecordsCall,
  looksLikePlaceholder,
  rangeText,
  type CredentialCheck,
  type JudgeEnv,
  type RecordsCall,
} from './judge';

const clients = new ClientRegistry([{ clientId: 'pep-01', apiKey: 'key-00000001', resourceType: 'Appointment' }]);
const env: JudgeEnv = {
  mode: 'strict',
  profile: 'int',
  syntheticRanges: DEFAULT_SYNTHETIC_RANGES,
  clients,
  tokenUrl: 'http://127.0.0.1:7070/oauth2/token',
};
const ok: CredentialCheck = { kind: 'api-key', client: clients.get('pep-01')!, fingerprint: 'f' };
const NUMS = generateNhsNumbers(3, 1);

function call(over: Partial<RecordsCall> = {}): RecordsCall {
  return {
    path: '/records',
    contentType: 'application/json',
    contentTypeOk: true,
    credential: ok,
    body: { kind: 'json', value: { clientId: 'pep-01', nhsNumbers: NUMS } },
    at: new Date('2025-06-01T09:00:00Z'),
    ...over,
  };
}

describe('judging a /records call', () => {
  it('registers a clean call', () => {
    const j = judgeRecordsCall(call(), env);
    expect(j.answer).toEqual({ status: 200, error: null });
    expect(j.toRegister).toEqual(NUMS);
    expect(j.findings.map((f) => f.code)).toEqual(['no-supplier-endpoint']);
  });

  it('finds every reason, not just the first, and answers with the status of the first in catalogue order', () => {
    const j = judgeRecordsCall(
      call({
        path: '/records/',
        credential: { kind: 'none' },
        contentTypeOk: false,
        contentType: 'text/plain',
        body: { kind: 'json', value: { clientId: 'pep-01', nhsNumbers: ['123'] } },
      }),
      env,
    );
    expect(j.findings.map((f) => f.code)).toEqual([
      'trailing-slash',
      'missing-authorization',
      'wrong-content-type',
      'nhs-number-pattern',
    ]);
    expect(j.answer.status).toBe(404);
    expect(j.toRegister).toEqual([]);
    const int = judgeRecordsCall(call({ path: '/records/', credential: { kind: 'none' } }), { ...env, mode: 'int' });
    expect(int.answer).toEqual({ status: 200, error: null });
    expect(int.toRegister).toEqual([]);
  });

  it('recognises template placeholders but not real ids', () => {
    for (const p of [
      '<client_id>',
      '{clientId}',
      '{{CLIENT_ID}}',
      '${CLIENT_ID}',
      '$CLIENT_ID',
      '%CLIENT_ID%',
      'client_id',
      'YOUR_CLIENT_ID',
      'changeme',
    ])
      expect(looksLikePlaceholder(p)).toBe(true);
    for (const r of ['pep-01', 'trust-abc-appointments', 'x7']) expect(looksLikePlaceholder(r)).toBe(false);
  });

  it('describes ranges in words that survive masking', () => {
    expect(rangeText({ from: '9990000000', to: '9999999999' })).toBe('numbers starting 999');
    expect(rangeText({ from: '9660000000', to: '9689999999', label: 'NHS login INT' })).toBe(
      '9660 000 000 to 9689 999 999: NHS login INT',
    );
  });
});
