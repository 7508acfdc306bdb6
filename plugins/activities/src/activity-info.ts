/**
 * What `activity/activity.info` and `locale/<lang>/activity.linfo` say, read as
 * Sugar's ActivityBundle reads them (sugar-toolkit-gtk3
 * `src/sugar3/bundle/activitybundle.py`, `_parse_info` and `_parse_linfo`):
 *
 *  - `bundle_id`, or the old `service_name`; no spaces (here also: letters,
 *    digits, `.`, `_`, `-` only, since the id reaches URLs and file names);
 *  - `name`;
 *  - `exec`, or the old `class` (run as `sugar-activity <class>`);
 *  - `activity_version`, `0` when absent, and it must be a Sugar version;
 *  - `icon`, `license`, `summary`, `description`, `tags` (`;`-separated) as given.
 *
 * A missing icon, license or version is allowed, as Sugar allows it, and noted
 * as a warning.
 */
import { ActivitiesErrors } from './errors.js';
import { isServableBundleId } from './file-names.js';
import { getOption, hasOption, IniError, parseIni, pyStrip, type IniDocument } from './python-ini.js';
import { parseVersion } from './sugar-version.js';

const SECTION = 'Activity';

/** An activity's description, from its activity.info. */
export interface ActivityInfo {
  readonly bundleId: string;
  readonly name: string;
  readonly exec: string;
  /** `activity_version` as written (`0` when absent). */
  readonly version: string;
  /** The icon's name: the file is `activity/<icon>.svg`. */
  readonly icon: string | null;
  readonly license: string | null;
  readonly summary: string | null;
  readonly description: string | null;
  readonly tags: readonly string[];
  /** What Sugar would log about this file, and what the server noticed. */
  readonly warnings: readonly string[];
}

/** One language's `activity.linfo`: the fields Sugar takes from it. */
export interface Translation {
  readonly name?: string;
  readonly summary?: string;
  readonly tags?: readonly string[];
}

/** Read activity.info; throws ACTIVITIES_ERR_BAD_INFO or ACTIVITIES_ERR_BAD_VERSION where Sugar would refuse the bundle. */
export function readActivityInfo(text: string): ActivityInfo {
  const doc = parse(text);
  const get = (key: string) => {
    try {
      return hasOption(doc, SECTION, key) ? getOption(doc, SECTION, key) : undefined;
    } catch (err) {
      if (err instanceof IniError) throw ActivitiesErrors.BAD_INFO(err.message);
      throw err;
    }
  };
  const warnings: string[] = [];

  let bundleId = get('bundle_id');
  if (bundleId === undefined) {
    bundleId = get('service_name');
    if (bundleId === undefined) throw ActivitiesErrors.BAD_INFO('no bundle_id (nor the old service_name) in [Activity]');
    warnings.push('uses the old key service_name; Sugar wants bundle_id');
  }
  if (bundleId.includes(' ')) throw ActivitiesErrors.BAD_INFO(`bundle_id ${JSON.stringify(bundleId)} has a space`);
  if (!isServableBundleId(bundleId)) {
    throw ActivitiesErrors.BAD_INFO(`bundle_id ${JSON.stringify(bundleId)}: this server takes letters, digits, ".", "_" and "-" only, as in org.laptop.Paint`);
  }

  const name = get('name');
  if (name === undefined) throw ActivitiesErrors.BAD_INFO('no name in [Activity]');

  let exec = get('exec');
  if (exec === undefined) {
    const className = get('class');
    if (className === undefined) throw ActivitiesErrors.BAD_INFO('no exec (nor the old class) in [Activity]');
    exec = `sugar-activity ${className}`;
    warnings.push('uses the old key class; Sugar wants exec');
  }

  let version = get('activity_version');
  if (version === undefined) {
    version = '0';
    warnings.push('no activity_version; Sugar takes it as 0');
  } else if (!parseVersion(version)) {
    throw ActivitiesErrors.BAD_VERSION(version);
  }

  const icon = get('icon') ?? null;
  if (icon === null) warnings.push('no icon');
  const license = get('license') ?? null;
  if (license === null) warnings.push('no license');
  const tags = get('tags');
  return {
    bundleId,
    name,
    exec,
    version,
    icon,
    license,
    summary: get('summary') ?? null,
    description: get('description') ?? null,
    tags: tags === undefined ? [] : splitTags(tags),
    warnings,
  };
}

/** Read one activity.linfo; throws IniError when configparser would fail (Sugar then keeps the untranslated text). */
export function readTranslation(text: string): Translation {
  const doc = parseIni(text);
  const get = (key: string) => (hasOption(doc, SECTION, key) ? getOption(doc, SECTION, key) : undefined);
  const name = get('name');
  const summary = get('summary');
  const tags = get('tags');
  return {
    ...(name === undefined ? {} : { name }),
    ...(summary === undefined ? {} : { summary }),
    ...(tags === undefined ? {} : { tags: splitTags(tags) }),
  };
}

function parse(text: string): IniDocument {
  try {
    return parseIni(text);
  } catch (err) {
    if (!(err instanceof IniError)) throw err;
    // Python decodes with plain utf-8, which keeps a byte order mark in the first line.
    const hint = text.startsWith('\ufeff') ? ' (the file starts with a byte order mark, which Sugar does not skip)' : '';
    throw ActivitiesErrors.BAD_INFO(`${err.message}${hint}`);
  }
}

/** `tags.strip(';').split(';')`, each stripped; empty ones left out. */
function splitTags(text: string): string[] {
  return text.replace(/^;+|;+$/g, '').split(';').map(pyStrip).filter(Boolean);
}
