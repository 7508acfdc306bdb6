/**
 * `sugar-server blacklists helper` kept running as squid keeps it, with
 * `concurrency`: request lines carry a channel ID, answers come back with it,
 * in any order. Laptops' browsing goes through here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DAEMON_MAIN } from '../harness/index.js';

/** How long squid would wait for an answer before counting the helper as broken. */
const ANSWER_TIMEOUT_MS = 10_000;

export class SquidHelper {
  private nextChannel = 0;
  private readonly waiting = new Map<number, { resolve: (answer: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  private readonly stderr: string[] = [];
  /** Lines that carried no channel ID we were waiting on: squid would count the helper as broken. */
  unmatchedAnswers = 0;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.answer(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
    child.once('exit', (code, signal) => {
      for (const [, waiter] of this.waiting) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`the helper exited (${code ?? signal}): ${this.stderr.slice(-3).join(' | ')}`));
      }
      this.waiting.clear();
    });
  }

  /** Start it on the school's root, looking for a new index every second. */
  static start(root: string): SquidHelper {
    const child = spawn(process.execPath, [DAEMON_MAIN, 'blacklists', 'helper', '--reload', '1', '--root', root], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new SquidHelper(child);
  }

  /** The helper's answer for `url` (without the channel ID): `OK`, `OK status=302 url="…"`, `BH …`. */
  ask(url: string): Promise<string> {
    const channel = this.nextChannel++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(channel);
        reject(new Error(`no answer for ${url} within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      this.waiting.set(channel, { resolve, reject, timer });
      // What url_rewrite_extras adds by default: client address/fqdn, user, method, myip=, myport=.
      this.child.stdin!.write(`${channel} ${url} 127.0.0.1/- - GET myip=127.0.0.1 myport=3128\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    // squid closes the helper's stdin to end it.
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private answer(line: string): void {
    const match = /^(\d+) (.*)$/.exec(line);
    const waiter = match ? this.waiting.get(Number(match[1])) : undefined;
    if (!match || !waiter) {
      this.unmatchedAnswers++;
      this.stderr.push(`unmatched answer: ${line}`);
      return;
    }
    clearTimeout(waiter.timer);
    this.waiting.delete(Number(match[1]));
    waiter.resolve(match[2]!);
  }
}

/** Whether a rewrite answer sends the browser to the block page. */
export function isBlockAnswer(answer: string): boolean {
  return answer.startsWith('OK status=302 ');
}
