// Unit tests for src/config/parse.ts: durations, sizes, rates, IPs and CIDRs.
import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatIp,
  parseCidr,
  parseDuration,
  parseIp,
  parseRate,
  parseSize,
  tryParseDuration,
  tryParseRate,
  tryParseSize,
} from '../../../src/config/parse.js';
import { PathHelmError } from '../../../src/errors.js';

describe('durations', () => {
  it.each([
    [500, 500],
    ['500', 500],
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['5min', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    [' 10 s ', 10_000],
    ['10S', 10_000],
  ])('%j → %d ms', (input, ms) => {
    expect(tryParseDuration(input)).toBe(ms);
  });

  it.each(['', 'abc', '10x', '-5s', '1m30s', '5 minutes', 's', null, true, {}, Number.NaN, Infinity])('rejects %j', (input) => {
    expect(tryParseDuration(input)).toBeUndefined();
  });

  it('parseDuration throws a usage error naming the flag', () => {
    expect(() => parseDuration('soon', '--expires')).toThrow(/--expires must be a number of milliseconds or a string like "500ms".*got "soon"/);
    expect(() => parseDuration(0, '--expires')).toThrow('--expires must be > 0 ms, got 0');
    try {
      parseDuration('x');
    } catch (err) {
      expect(err).toBeInstanceOf(PathHelmError);
      expect((err as PathHelmError).code).toBe('PH_ERR_USAGE');
    }
    expect(() => parseDuration('x', 'k', 'PH_ERR_CONFIG')).toThrow(expect.objectContaining({ code: 'PH_ERR_CONFIG' }));
  });

  it('formats for humans', () => {
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(7)).toBe('7ms');
  });
});

describe('sizes', () => {
  it.each([
    [1024, 1024],
    ['512', 512],
    ['512b', 512],
    ['16kb', 16_384],
    ['16KB', 16_384],
    ['16k', 16_384],
    ['10mb', 10 * 1024 * 1024],
    ['1gb', 1024 ** 3],
    ['1.5kb', 1536],
    ['2MiB', 2 * 1024 * 1024],
  ])('%j → %d bytes', (input, bytes) => {
    expect(tryParseSize(input)).toBe(bytes);
  });

  it.each(['', 'big', '10tb', '-1kb', '10 megabytes', null, []])('rejects %j', (input) => {
    expect(tryParseSize(input)).toBeUndefined();
  });

  it('parseSize throws with the accepted forms', () => {
    expect(() => parseSize('huge', '--max-body')).toThrow(/--max-body must be a number of bytes or a string like "512b", "16kb", "10mb"/);
    expect(parseSize('10mb')).toBe(10_485_760);
  });
});

describe('rates', () => {
  it.each([
    ['100/1s', { limit: 100, windowMs: 1_000 }],
    ['50/s', { limit: 50, windowMs: 1_000 }],
    ['3000/10m', { limit: 3_000, windowMs: 600_000 }],
    ['5 / 1h', { limit: 5, windowMs: 3_600_000 }],
    ['10/500ms', { limit: 10, windowMs: 500 }],
    ['1000/1d', { limit: 1_000, windowMs: 86_400_000 }],
  ])('%j', (input, rate) => {
    expect(tryParseRate(input)).toEqual(rate);
    expect(parseRate(input)).toEqual(rate);
  });

  it.each(['100', '100/', '/1s', 'x/1s', '1.5/1s', '100/1x', '-1/1s', '100/1s/2'])('rejects %j', (input) => {
    expect(tryParseRate(input)).toBeUndefined();
    expect(() => parseRate(input, '--rate')).toThrow(/--rate must be a string like "100\/1s"/);
  });

  it('rejects a zero limit or window', () => {
    expect(() => parseRate('0/1s', '--rate')).toThrow('--rate limit must be >= 1 request, got "0/1s"');
    expect(() => parseRate('5/0s', '--rate')).toThrow('--rate window must be > 0 ms, got "5/0s"');
  });
});

describe('IPs and CIDRs', () => {
  it('parses IPv4 and IPv6 (compressed, embedded IPv4) to bytes', () => {
    expect(Array.from(parseIp('10.1.2.3')!)).toEqual([10, 1, 2, 3]);
    expect(formatIp(parseIp('2001:db8::1')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('::')!)).toBe('::');
    expect(formatIp(parseIp('fe80:0:0:0:0:0:0:1')!)).toBe('fe80::1');
    const mapped = parseIp('::ffff:1.2.3.4')!;
    expect(Array.from(mapped.slice(10))).toEqual([0xff, 0xff, 1, 2, 3, 4]);
  });

  it.each(['1.2.3', '256.1.1.1', '010.0.0.1', 'fe80::1%eth0', 'localhost', '1.2.3.4.5', ':::'])('rejects address %j', (t) => {
    expect(parseIp(t)).toBeUndefined();
  });

  it('accepts exact CIDRs and single addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 4, prefix: 8 });
    expect(parseCidr('203.0.113.7')).toMatchObject({ family: 4, prefix: 32 });
    expect(parseCidr('2001:db8::/32')).toMatchObject({ family: 6, prefix: 32 });
    expect(parseCidr('::1')).toMatchObject({ family: 6, prefix: 128 });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ prefix: 0 });
  });

  it('explains bad CIDRs with the fix', () => {
    expect(parseCidr('10.0.0.1/8')).toBe('has host bits set after /8; did you mean "10.0.0.0/8"?');
    expect(parseCidr('2001:db8::1/32')).toBe('has host bits set after /32; did you mean "2001:db8::/32"?');
    expect(parseCidr('10.0.0.0/33')).toBe('has an invalid prefix length "/33"; IPv4 prefixes are /0 to /32');
    expect(parseCidr('::/129')).toMatch(/IPv6 prefixes are \/0 to \/128/);
    expect(parseCidr('10.0.0.0/')).toMatch(/invalid prefix length/);
    expect(parseCidr('nope/8')).toMatch(/is not a valid IP address or CIDR/);
  });
});
