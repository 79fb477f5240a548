// See https://svelte.dev/docs/kit/types#app.d.ts; this app declares nothing of its own.
export {};
