'use strict';
/**
 * Acme Portal's producer API, as a supplier would write it: an Express app with its own routes
 * (here a health check and a /fhir base path) and the PCA producer endpoints under /fhir.
 *
 * To keep the example small, the producer endpoints are the harness's reference implementation
 * (`createReferenceSupplierApp`), serving the fixture pack's patients. In your own API they are
 * your code over your data; the test in test/pca.test.js stays exactly the same.
 */
const express = require('express');
const { createReferenceSupplierApp } = require('pca-harness');

/** The producer endpoints' paths on this API. */
const PATHS = { appointments: '/fhir/Appointment', documents: '/fhir/DocumentReference', tasks: '/fhir/Task' };

/**
 * @param {{ nhsLoginIssuer: string, clientId: string, clientSecret: string, pack?: import('pca-harness').FixturePack, fault?: import('pca-harness').FaultName }} options
 */
function createApp(options) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'acme-portal' });
  });
  app.use(
    createReferenceSupplierApp({
      nhsLoginIssuer: options.nhsLoginIssuer,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      paths: PATHS,
      ...(options.pack ? { pack: options.pack } : {}),
      ...(options.fault ? { fault: options.fault } : {}),
    }),
  );
  return app;
}

module.exports = { createApp, PATHS };
