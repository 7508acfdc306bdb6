/**
 * Failed logins per client address: after `attempts` failures within
 * `windowMs`, that address is refused until the window ends, so a password
 * cannot be guessed from the LAN at scrypt speed.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export class LoginLimit {
  private readonly limiter: RateLimiterMemory;

  constructor(attempts: number, windowMs: number) {
    this.limiter = new RateLimiterMemory({ points: attempts, duration: Math.max(1, Math.ceil(windowMs / 1000)) });
  }

  /** Seconds until `address` may try again, or 0 when it may now. */
  async blockedFor(address: string): Promise<number> {
    const res = await this.limiter.get(address);
    return res && res.remainingPoints <= 0 ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;
  }

  async failed(address: string): Promise<void> {
    await this.limiter.consume(address).catch((res: unknown) => {
      if (!(res instanceof RateLimiterRes)) throw res;
    });
  }

  async succeeded(address: string): Promise<void> {
    await this.limiter.delete(address);
  }
}
