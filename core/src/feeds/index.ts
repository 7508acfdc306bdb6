/**
 * Feeds: pure data (lease bundles, blacklists, activity bundles, the school's
 * configuration) published by the deployment's Mothership, signed, and mirrored
 * by school servers over the network or from a disk.
 */
export { CONFIG_FEED, configFeedFiles, UPSTREAM_DROP_IN, upstreamConfigApplier } from './config-feed.js';
export { FeedErrors } from './errors.js';
export { exportFeeds, type ExportReport } from './export.js';
export { EXPORT_FOLDER, importFeeds, MirrorRegistry, type ImportReport } from './import.js';
export { KEYS_FILE, makeKeysDocument, parseKeysDocument } from './keys.js';
export { checkManifest, isSafeFeedPath, MANIFEST_FILE, SIGNATURE_SUFFIX } from './manifest.js';
export { MirroredFeed, type MirrorOptions } from './mirror.js';
export { FeedPublisher, type PublisherSigning } from './publisher.js';
export { generateSigningKey, readPublicKeys, readSigningKey, signatureFile, type PublicFeedKey, type SigningKey } from './signing.js';
export { trustRoots, type TrustRoots } from './trust.js';
export type * from './types.js';
