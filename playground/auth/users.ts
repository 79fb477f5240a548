import { scrypt, timingSafeEqual } from 'node:crypto';

/**
 * The two demo users. Only scrypt hashes are kept (N=2^14, r=8, p=1, 32-byte key, per-user salt),
 * generated once with `crypto.scryptSync(password, salt, 32)`; the passwords are in the README.
 */

interface UserRecord {
  salt: string;
  hash: string;
}

const USERS: ReadonlyMap<string, UserRecord> = new Map([
  ['alice', { salt: 'tsX0kTxNDTtlcupPu-4Mcw', hash: 'ssh2pI0LgpANVFRPoqKPdhGsJ4dkEk2S2NCnVyl15Rg' }],
  ['bob', { salt: 'sXZ0gemZ4nFSmfJx2rFZeg', hash: 'IyySpHUBLxWaBRI5ghn7I1XnlbCl-cfSI3JNqM-DMnw' }],
]);

// Unknown names are checked against this record too, so the answer time does not reveal
// which user names exist.
const DUMMY: UserRecord = { salt: 'AAAAAAAAAAAAAAAAAAAAAA', hash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Resolves to the user id when the credentials match, undefined otherwise. */
export async function verifyPassword(username: string, password: string): Promise<string | undefined> {
  const user = USERS.get(username);
  const record = user ?? DUMMY;
  const derived = await scryptAsync(password, Buffer.from(record.salt, 'base64url'));
  const matches = timingSafeEqual(derived, Buffer.from(record.hash, 'base64url'));
  return user && matches ? username : undefined;
}

/** Access tokens name a user by id; a token for a user that no longer exists is refused. */
export function userExists(userId: string): boolean {
  return USERS.has(userId);
}
