import { createMemoryStore } from '../../playground/memory-store';
import { storeContract } from '../helpers/server-store-contract';

storeContract('memory', async () => createMemoryStore());
