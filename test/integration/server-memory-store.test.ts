import { createMemoryStore } from '../../playground/store/memory-store';
import { storeContract } from '../helpers/server-store-contract';

storeContract('memory', async () => createMemoryStore());
