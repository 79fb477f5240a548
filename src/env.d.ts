/**
 * True in development builds and tests, false in production builds (tsup's `define`; see
 * tsup.config.ts). Text that only helps a developer (long option and error messages, the console
 * advice on a misconfiguration) sits behind it, so that production bundles do not carry it.
 */
declare const __DEV__: boolean;
