/**
 * Every answer the laptops and the admin got, counted by what it was. An
 * answer the protocol calls for (a lease, "no lease", STOLEN, "busy", a
 * redirect to the block page…) is counted under its name; anything else is
 * unexpected and kept with its detail, the first few of each kind in full.
 */

const EXAMPLES_PER_KIND = 3;

export class Tally {
  /** Examples say when they happened, in seconds since this moment. */
  constructor(private readonly since = Date.now()) {}

  private readonly answers = new Map<string, number>();
  private readonly unexpectedByKind = new Map<string, { count: number; examples: string[] }>();

  /** An answer the protocol calls for. */
  count(what: string, n = 1): void {
    this.answers.set(what, (this.answers.get(what) ?? 0) + n);
  }

  /** An answer the protocol does not call for (an error, a wrong lease, a wrong verdict). */
  unexpected(kind: string, detail: string): void {
    const entry = this.unexpectedByKind.get(kind) ?? { count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < EXAMPLES_PER_KIND) entry.examples.push(`at +${((Date.now() - this.since) / 1000).toFixed(1)} s: ${detail}`);
    this.unexpectedByKind.set(kind, entry);
  }

  get(what: string): number {
    return this.answers.get(what) ?? 0;
  }

  get unexpectedCount(): number {
    let total = 0;
    for (const { count } of this.unexpectedByKind.values()) total += count;
    return total;
  }

  /** One line per kind: `activation: wrong answer ×2: SHC…: got none, expected lease; …`. */
  describeUnexpected(): string[] {
    return [...this.unexpectedByKind].map(([kind, { count, examples }]) => `${kind} ×${count}: ${examples.join('; ')}`);
  }

  /** Every counted answer, sorted by name. */
  figures(): Record<string, number> {
    return Object.fromEntries([...this.answers].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
