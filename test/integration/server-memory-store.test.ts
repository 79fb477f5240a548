import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../playground/store/memory-store';
import { storeContract } from '../helpers/server-store-contract';
import { sleep } from '../helpers/wait.js';

storeContract('memory', async (limits) => createMemoryStore(limits ? { limits } : {}));


describe('memory store: what it holds', () => {
  it('drops the sealed successor when the grace window ends, without another call', async () => {
    const store = createMemoryStore();
    const now = Date.now();
    await store.createFamily({ familyId: 'f', userId: 'alice', tokenHash: 'h0', familyExpiresAt: now + 86_400_000, tokenExpiresAt: now + 3_600_000 });
    await store.rotateRefreshToken({ presentedHash: 'h0', successorHash: 'h1', successorSealed: 's1', now, refreshTtlMs: 3_600_000, graceMs: 30 });
    expect(store.held().sealedSuccessors).toBe(1);
    await sleep(80);
    expect(store.held().sealedSuccessors).toBe(0);
    await store.close();
  });
});
