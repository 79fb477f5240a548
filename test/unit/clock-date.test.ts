/** The clock parses an answer's `Date` only when it differs from the last one seen: most answers of a second share it. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClock } from '../../src/clock.js';

afterEach(() => vi.restoreAllMocks());

describe('Date headers', () => {
  it('are parsed once per distinct value, and still bound the skew', () => {
    const parse = vi.spyOn(Date, 'parse');
    const moves: number[] = [];
    const clock = createClock(() => 0, () => moves.push(clock.skew()));
    const header = new Date(20_000).toUTCString();
    clock.observeDate(header, 10_000, 10_050);
    clock.observeDate(header, 10_010, 10_060);
    clock.observeDate(header, 10_020, 10_070);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(clock.skew()).toBe(9_950);
    clock.observeDate(new Date(21_000).toUTCString(), 11_000, 11_050);
    expect(parse).toHaveBeenCalledTimes(2);
    clock.observeDate(null, 0, 0);
    expect(parse).toHaveBeenCalledTimes(2);
    expect(moves.length).toBeGreaterThan(0); // the session is told, so that the state's expiresAt follows
  });
});
