'use strict';
// Runs Acme Portal's API on PORT (default 8080), trusting the NHS login issuer in NHS_LOGIN_ISSUER.
const { createApp } = require('./app');

const port = Number(process.env.PORT ?? 8080);
const app = createApp({
  nhsLoginIssuer: process.env.NHS_LOGIN_ISSUER ?? 'http://127.0.0.1:7070/nhs-login',
  clientId: process.env.PCA_CLIENT_ID ?? 'pca-aggregator',
  clientSecret: process.env.PCA_CLIENT_SECRET ?? 'pca-harness-local-secret',
});
app.listen(port, '127.0.0.1', () => process.stdout.write(`acme-portal listening on http://127.0.0.1:${port}\n`));
