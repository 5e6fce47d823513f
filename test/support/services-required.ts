/**
 * Whether a missing PostgreSQL or Redis must fail the run rather than skip the tests that need it: under CI (the
 * CI variable set and not "false", as CI services and .ci/run set it), where a skip would turn a broken machine
 * into a green run. Locally, without the service, those tests are skipped with the reason.
 */
export const servicesRequired = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
