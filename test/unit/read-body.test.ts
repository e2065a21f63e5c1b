// store/read-body.ts: reading an S3 body whole, with its length checked.
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../chalkfs/store/read-body.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

describe('readBody', () => {
  it('joins the chunks of a body of known length', async () => {
    expect((await readBody(chunks('ab', 'cde', 'f'), 6, 'get k')).toString()).toBe('abcdef');
  });

  it('joins the chunks when the length is unknown', async () => {
    expect((await readBody(chunks('ab', 'cd'), undefined, 'get k')).toString()).toBe('abcd');
  });

  it('reads an empty body', async () => {
    expect(await readBody(chunks(), 0, 'get k')).toHaveLength(0);
  });

  it('rejects a body shorter than its length with an io error', async () => {
    const err = await readBody(chunks('abc'), 5, 'get k').catch((e: unknown) => e);
    expect(isChalkError(err, 'io')).toBe(true);
    expect((err as Error).message).toMatch(/get k: body ended after 3 of 5 bytes/);
  });

  it('rejects a body longer than its length', async () => {
    const err = await readBody(chunks('abc', 'def'), 4, 'get k').catch((e: unknown) => e);
    expect(isChalkError(err, 'io')).toBe(true);
  });

  it('rejects when the stream is destroyed without an error', async () => {
    const stream = new PassThrough();
    const reading = readBody(stream, 10, 'get k');
    stream.write(Buffer.from('abc'));
    stream.destroy();
    await expect(reading).rejects.toThrow(/connection closed after 3 bytes/);
  });

  it('rejects when the stream fails midway', async () => {
    const stream = new PassThrough();
    const reading = readBody(stream, 10, 'get k');
    stream.write(Buffer.from('abc'));
    stream.destroy(new Error('socket hang up'));
    await expect(reading).rejects.toThrow('socket hang up');
  });
});
