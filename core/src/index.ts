/**
 * The public surface of `sugar-server` for plugin authors: the plugin contract,
 * typed options, errors, DI tokens, HTTP helpers and storage types.
 */
export { definePlugin, PLUGIN_API_VERSION } from './plugins/definition.js';
export type {
  Awaitable,
  BoundListener,
  CommandContext,
  PluginCommand,
  HttpListener,
  ListenSpec,
  PluginContext,
  PluginDefinition,
  ServiceToken,
  Services,
  StatusDetails,
} from './plugins/definition.js';
export type {
  FeedFileEntry,
  FeedManifest,
  FeedMirror,
  FeedSnapshot,
  FeedState,
  FeedUpstream,
  MirrorSpec,
  PublishedFile,
  PublishSpec,
} from './feeds/types.js';
export { option, makeOption } from './config/options.js';
export type { ConfigOf, ConfigShape, Option } from './config/options.js';
export { describeWindow, isWithin, parseDayWindows, parseWindows } from './config/time-windows.js';
export type { TimeWindow } from './config/time-windows.js';
export { SugarError, ServerErrors, errorType, isSugarError, withCause } from './errors.js';
export type { ErrorType, SugarErrorOptions } from './errors.js';
export { Tokens } from './tokens.js';
export type { Clock } from './tokens.js';
export { readBody, readJson } from './http/body.js';
export type { BodyOptions } from './http/body.js';
export type { DocumentMigration, DocumentVersion, Store } from './storage.js';
export { syncDir } from './storage.js';
export { launch, ProcessLauncher } from './launcher/index.js';
// Calls over a child process's IPC channel, as isolated plugins make them: for plugins running a process of their own.
export { answer, fromWire, PendingCalls, toWire } from './plugins/isolation/messages.js';
export type { Reply, WireError } from './plugins/isolation/messages.js';
export type { LaunchedProcess, LaunchOptions } from './launcher/index.js';
export type { Logger } from './log.js';
export { html, isHtml, Html } from './admin-console/html.js';
export type { HtmlValue } from './admin-console/html.js';
export { barChart } from './admin-console/charts.js';
export { refusal } from './admin-console/layout.js';
export type { Bar, BarChartSpec } from './admin-console/charts.js';
export { LANGUAGES, pickLanguage } from './admin-console/i18n.js';
export type { Catalogues, Language, Params } from './admin-console/i18n.js';
export type {
  AdminActionRequest,
  AdminActionResult,
  AdminDownload,
  AdminPageRequest,
  AdminPages,
  AdminPageSpec,
  AdminView,
} from './admin-console/pages.js';
export type { UploadedFile } from './admin-console/forms.js';
