/** Why a check-in, an enrolment or an invite was refused. A refusal stores nothing. */
import { errorType } from '../errors.js';

export const FleetErrors = {
  UNKNOWN_SCHOOL: errorType('SERVER_ERR_FLEET_UNKNOWN_SCHOOL', 401, () =>
    'this check-in carries no credential this server issued (Authorization: Bearer <school id>.<secret>); enrol with sugar-server fleet enrol'),
  FORGED: errorType('SERVER_ERR_FLEET_FORGED', 403, (claimed: string, enrolled: string) =>
    `the report says it comes from server ${claimed}, but its credential was issued to server ${enrolled}`),
  BAD_REPORT: errorType('SERVER_ERR_FLEET_BAD_REPORT', 400, (why: string) => `check-in report refused: ${why}`),
  TOO_LARGE: errorType('SERVER_ERR_FLEET_TOO_LARGE', 413, (limit: number) => `check-in report is larger than ${limit} bytes`),
  BAD_INVITE: errorType('SERVER_ERR_FLEET_BAD_INVITE', 403, () =>
    'enrolment token not accepted: unknown, already used or expired; ask the Mothership\'s operator for a new one (sugar-server fleet invite)'),
  NOT_ENROLLED: errorType('SERVER_ERR_FLEET_NOT_ENROLLED', 400, (file: string, why: string) =>
    `${file}: ${why}; enrol this server with sugar-server fleet enrol URL TOKEN`),
  UPSTREAM: errorType('SERVER_ERR_FLEET_UPSTREAM', 502, (url: string, why: string) => `the upstream at ${url} did not take the request: ${why}`),
};
