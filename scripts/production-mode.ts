// The bench times what apps ship: the production build's behaviour. `__DEV__` is tsup's `define` in
// dist/; scripts that import src/ set it here, imported before the library.
(globalThis as { __DEV__?: boolean }).__DEV__ = false;
