/**
 * The fleet: schools enrol with their upstream (the Mothership, or a district
 * relay), check in with what they hold and how they fare, and the upstream
 * shows how each feed it publishes propagates.
 */
export { credentialFile, ensureServerId, readCredential, writeCredential, type SchoolCredential } from './credentials.js';
export { FleetErrors } from './errors.js';
export { Mothership, type SchoolRow } from './mothership.js';
export { computePropagation, percentileOf, SCHOOL_STATES, schoolState, summarise, type FeedPropagation, type Propagation, type PublishedVersion, type SchoolState, type SchoolView } from './propagation.js';
export { buildReport, countsOf, type ReportSources } from './report-builder.js';
export { FleetReporter, retryAfter, type ReporterState } from './reporter.js';
export { isServerId, parseReport, REPORT_LIMIT, REPORT_SCHEMA, reportSchema, type DownstreamSummary, type FleetReport, type ReportedFeed } from './report.js';
export { fleetRouter, type FleetRouteSettings } from './routes.js';
