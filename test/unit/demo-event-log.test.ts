/** The playground page's event log (playground/public/js/event-log.js): what happened, in words. */
import { describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../src/index.js';
import { describeEvent, describeReady } from '../../playground/public/js/event-log.js';

const KINDS = ['query', 'answer', 'token', 'login', 'end', 'outage', 'claim', 'release', 'bye'];
const STATUSES = ['unknown', 'anonymous', 'authenticated'] as const;
const tabMessage = (kind: string): AuthEvent => ({ type: 'tab:message', kind });

describe('the event log in words', () => {
  it("names no message of the tab protocol: every one says what the other tab did", () => {
    for (const status of STATUSES) {
      for (const kind of KINDS) {
        const text = describeEvent(tabMessage(kind), status)?.[1] ?? '';
        expect(text).not.toMatch(/channel message|: (query|answer|token|login|end|outage|claim|release|bye)$/);
      }
    }
  });

  it('a login from another tab is a sign-in for a signed-out tab, a new token for a signed-in one (Expire in all tabs)', () => {
    expect(describeEvent(tabMessage('login'), 'anonymous')).toEqual(['tab', 'another tab signed in: this tab joins its session']);
    expect(describeEvent(tabMessage('login'), 'authenticated')).toEqual(['tab', 'another tab replaced the access token of this session']);
  });

  it("another tab's end of session is no line of its own: nothing changed in a signed-out tab, and session:end says it in a signed-in one", () => {
    for (const status of STATUSES) expect(describeEvent(tabMessage('end'), status)).toBeUndefined();
    expect(describeEvent({ type: 'session:end', reason: 'remote' }, 'authenticated')?.[1]).toMatch(/^signed out: another tab logged out/);
  });

  it("a refused refresh token says the server's status and code", () => {
    const event: AuthEvent = { type: 'session:end', reason: 'rejected', refused: { status: 401, code: 'refresh_token_reused' } };
    expect(describeEvent(event, 'authenticated')).toEqual(['session', 'signed out: the server refused the refresh token (401 refresh_token_reused)']);
  });

  it('refreshes say why they started and where the token came from', () => {
    expect(describeEvent({ type: 'refresh:start', reason: 'reactive' }, 'authenticated')?.[1]).toBe('a request got 401: refreshing the token');
    expect(describeEvent({ type: 'refresh:success', source: 'tab', expiresAt: undefined }, 'authenticated')?.[1]).toContain('another tab shared its token');
    expect(describeEvent({ type: 'replay', method: 'GET', url: `${location.origin}/api/me` }, 'authenticated')?.[1]).toBe(
      'got 401, sent again with the new token: GET /api/me',
    );
  });

  it('start-up says what it found', () => {
    expect(STATUSES.map(describeReady)).toEqual([
      'ready: the server did not answer (the next request tries again)',
      'ready: not signed in',
      'ready: signed in',
    ]);
  });
});
