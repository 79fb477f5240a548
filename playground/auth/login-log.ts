/**
 * The log lines of failed and throttled logins (issue 18). A failed login never logs what was typed:
 * people type passwords into the name field. It logs a known name (not a secret) or "an unknown
 * name", and at most LINES_PER_WINDOW lines per window; the rest are summed up in one line, so a
 * flood cannot fill the log.
 */

const WINDOW_MS = 10_000;
const LINES_PER_WINDOW = 10;

export interface LoginLog {
  failed(knownUser: string | undefined): void;
  throttled(scope: 'user' | 'address', retryAfterSeconds: number): void;
}

export function createLoginLog(log: (line: string) => void, clock: () => number = Date.now): LoginLog {
  let windowStart = -Infinity;
  let written = 0;
  let suppressed = 0;

  const write = (line: string): void => {
    const now = clock();
    if (now - windowStart >= WINDOW_MS) {
      if (suppressed > 0) log(`login: ${suppressed} more lines not logged in the last ${WINDOW_MS / 1000} s`);
      windowStart = now;
      written = 0;
      suppressed = 0;
    }
    if (written < LINES_PER_WINDOW) {
      written += 1;
      log(line);
    } else {
      suppressed += 1;
    }
  };

  return {
    failed(knownUser) {
      write(knownUser === undefined ? 'login failed: unknown user name' : `login failed: wrong password for ${JSON.stringify(knownUser)}`);
    },
    throttled(scope, retryAfterSeconds) {
      write(`login throttled: ${scope === 'user' ? 'a user name' : 'a client address'}, retry after ${retryAfterSeconds} s`);
    },
  };
}
