/*
 * Docker volume names <-> chalkfs volume names, reversibly (pure). Docker lets a volume
 * plugin's volumes have any name (it generates 64 hex characters for an anonymous
 * volume; users write uppercase letters); a chalkfs name is 1..63 of [a-z0-9._-]
 * starting with a letter or digit (meta/volume-name.ts). Unlike the CSI driver's
 * mapping (a hash: Kubernetes never lists names back), this one is an encoding, so
 * `VolumeDriver.List` can give Docker the user's own names again:
 *
 *   - a valid chalkfs name is itself (existing volumes keep their names), unless it
 *     starts with one of the two prefixes below;
 *   - 64 lowercase hex characters (an anonymous volume) -> "anon--" + the same 256 bits
 *     as 52 base-32 digits (0-9a-v): 58 characters;
 *   - anything else -> "esc--" + the name's UTF-8 bytes: a-z 0-9 "." "-" as they are,
 *     an uppercase letter as "_" + the letter in lowercase, "_" as "__", any other byte
 *     as "_." + two hex digits. It must fit in 63 characters (a name of k plain
 *     characters takes 5 + k; each uppercase letter or "_" one more).
 *
 * A chalkfs name that is no encoding (say "esc--x_" made with the CLI) has no Docker
 * name: decoding checks that encoding the result gives the name back.
 */
import { ChalkError } from '../util/chalk-error.js';
import { isVolumeName } from '../cli-driver/volume-name-check.js';

const ANONYMOUS_PREFIX = 'anon--';
const ESCAPED_PREFIX = 'esc--';
const MAX_NAME_LENGTH = 63;
const BASE32_DIGITS = 52; // 256 bits at 5 bits a digit

/** The chalkfs volume that holds Docker volume `dockerName`; throws `config` when it cannot be one. */
export function chalkfsNameOf(dockerName: string): string {
  if (dockerName === '') throw new ChalkError('config', 'invalid volume name: it is empty');
  if (/^[0-9a-f]{64}$/.test(dockerName)) return ANONYMOUS_PREFIX + BigInt(`0x${dockerName}`).toString(32).padStart(BASE32_DIGITS, '0');
  const reserved = dockerName.startsWith(ANONYMOUS_PREFIX) || dockerName.startsWith(ESCAPED_PREFIX);
  if (isVolumeName(dockerName) && !reserved) return dockerName;
  const encoded = ESCAPED_PREFIX + escape(dockerName);
  if (encoded.length > MAX_NAME_LENGTH) {
    throw new ChalkError(
      'config',
      `volume name "${dockerName.slice(0, 40)}${dockerName.length > 40 ? '…' : ''}" is too long for chalkfs: encoded it takes ${encoded.length} of ${MAX_NAME_LENGTH} characters ` +
        '(uppercase letters and "_" count twice, other characters but a-z 0-9 . - four times a byte)',
    );
  }
  return encoded;
}

/** The Docker name of chalkfs volume `name`, or undefined when `name` is no Docker name's encoding. */
export function dockerNameOf(name: string): string | undefined {
  let decoded: string | undefined;
  if (name.startsWith(ANONYMOUS_PREFIX)) decoded = fromBase32(name.slice(ANONYMOUS_PREFIX.length));
  else if (name.startsWith(ESCAPED_PREFIX)) decoded = unescape(name.slice(ESCAPED_PREFIX.length));
  else decoded = name;
  if (decoded === undefined) return undefined;
  try {
    return chalkfsNameOf(decoded) === name ? decoded : undefined;
  } catch {
    return undefined;
  }
}

function escape(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[a-z0-9.-]/.test(c)) out += c;
    else if (/[A-Z]/.test(c)) out += `_${c.toLowerCase()}`;
    else if (c === '_') out += '__';
    else out += `_.${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function unescape(text: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '_') {
      bytes.push(c.charCodeAt(0));
      continue;
    }
    const next = text[++i];
    if (next === '_') bytes.push(0x5f);
    else if (next !== undefined && /[a-z]/.test(next)) bytes.push(next.toUpperCase().charCodeAt(0));
    else if (next === '.' && /^[0-9a-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else return undefined;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined; // bytes that are no UTF-8 text name no Docker volume
  }
}

function fromBase32(digits: string): string | undefined {
  if (!new RegExp(`^[0-9a-v]{${BASE32_DIGITS}}$`).test(digits)) return undefined;
  let value = 0n;
  for (const d of digits) value = value * 32n + BigInt(parseInt(d, 32));
  return value < 2n ** 256n ? value.toString(16).padStart(64, '0') : undefined;
}
