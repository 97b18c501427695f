/**
 * One check run against the reference supplier with the leaks-other-patient fault: the report both
 * check-report tests read (the hermetic one and the one that renders it in Chromium).
 */
import { listen } from '../core/http';
import { KeyRing } from '../core/keys';
import { buildDefaultPack } from '../fixtures/default-pack';
import { createSupplierApp } from '../mocks/supplier/app';
import { startNhsLogin } from '../suites/access/nhs-login-session';
import { DEFAULT_PATHS, runCheck } from '../suites/checks/run-check';
import type { CheckReport } from '../suites/report/check-report';
import type { FixturePack } from '../fixtures/pack';

export async function faultedCheckReport(
  pack: FixturePack = buildDefaultPack(new Date()),
): Promise<{ pack: FixturePack; report: CheckReport }> {
  const nhsLogin = await startNhsLogin({ issuer: 'http://127.0.0.1:0/nhs-login', pack, keyRing: new KeyRing() });
  const server = await listen(
    createSupplierApp({
      pack,
      fault: 'leaks-other-patient',
      nhsLoginIssuer: nhsLogin.issuer,
      clientId: 'pca',
      clientSecret: 'report-test-secret',
    }),
  );
  try {
    const { report } = await runCheck({
      supplierUrl: server.url,
      paths: DEFAULT_PATHS,
      access: {
        type: 'client_credentials',
        tokenUrl: `${server.url}/oauth2/token`,
        clientId: 'pca',
        clientSecret: 'report-test-secret',
      },
      nhsLogin,
      pack,
    });
    return { pack, report };
  } finally {
    await server.close();
    await nhsLogin.close();
  }
}
