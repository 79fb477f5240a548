// The development build's behaviour (full messages): `__DEV__` is tsup's `define` in dist/, a global in tests.
(globalThis as { __DEV__?: boolean }).__DEV__ = true;
