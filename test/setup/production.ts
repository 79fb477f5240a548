// The production build's behaviour (no developer-only text): `__DEV__` is tsup's `define` in dist/, a global in tests.
(globalThis as { __DEV__?: boolean }).__DEV__ = false;
