/**
 * UIDs for what we write (SR, Secondary Capture, their series), derived from names rather than
 * drawn at random: the same prediction always gets the same UIDs, so sending it again replaces
 * nothing and duplicates nothing in the PACS. A 2.25 UID (PS3.5 B.2) is the decimal form of a
 * UUID; ours are RFC 9562 version 8 UUIDs from the SHA-256 of the name.
 */
import crypto from 'node:crypto';

export function nameUid(...parts: (string | number)[]): string {
  const h = crypto.createHash('sha256').update(parts.map(String).join('\u0000')).digest();
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC variant
  return `2.25.${BigInt(`0x${b.toString('hex')}`).toString(10)}`;
}
