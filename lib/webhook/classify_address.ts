/**
 * Classification of IP addresses for outbound requests: only `public` addresses may be fetched.
 *
 * @module
 */

/**
 * What an IP address is. Everything but `public` is refused by `safeFetch`; cloud metadata
 * endpoints fall in `link_local` (169.254.169.254), `unique_local` (fd00:ec2::254) or `cgnat`
 * (100.100.100.200).
 */
export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "unique_local"
  | "cgnat"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "reserved";

type V4Range = [base: number, bits: number, cls: AddressClass];

const V4_RANGES: V4Range[] = [
  [ip4(0, 0, 0, 0), 8, "unspecified"],
  [ip4(10, 0, 0, 0), 8, "private"],
  [ip4(100, 64, 0, 0), 10, "cgnat"],
  [ip4(127, 0, 0, 0), 8, "loopback"],
  [ip4(169, 254, 0, 0), 16, "link_local"],
  [ip4(172, 16, 0, 0), 12, "private"],
  [ip4(192, 0, 0, 0), 24, "reserved"],
  [ip4(192, 0, 2, 0), 24, "documentation"],
  [ip4(192, 88, 99, 0), 24, "reserved"],
  [ip4(192, 168, 0, 0), 16, "private"],
  [ip4(198, 18, 0, 0), 15, "reserved"],
  [ip4(198, 51, 100, 0), 24, "documentation"],
  [ip4(203, 0, 113, 0), 24, "documentation"],
  [ip4(224, 0, 0, 0), 4, "multicast"],
  [ip4(255, 255, 255, 255), 32, "broadcast"],
  [ip4(240, 0, 0, 0), 4, "reserved"],
];

/**
 * Classifies an IPv4 or IPv6 address literal (IPv6 with or without brackets). IPv4-mapped
 * (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`) addresses are classified by
 * the IPv4 address they carry; IPv6 outside `2000::/3` and the special ranges is `reserved`.
 *
 * @param address E.g. `"10.1.2.3"`, `"::1"`, `"[fe80::1]"`.
 * @returns The class, or undefined when `address` is not an IP literal (a host name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyAddress } from "./classify_address.ts";
 * assert.equal(classifyAddress("169.254.169.254"), "link_local");
 * assert.equal(classifyAddress("[::ffff:127.0.0.1]"), "loopback");
 * assert.equal(classifyAddress("93.184.215.14"), "public");
 * assert.equal(classifyAddress("example.com"), undefined);
 * ```
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const text = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const v4 = parseV4(text);
  if (v4 !== undefined) return classifyV4(v4);
  const v6 = parseV6(text);
  return v6 === undefined ? undefined : classifyV6(v6);
}

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function classifyV4(ip: number): AddressClass {
  for (const [base, bits, cls] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((ip & mask) >>> 0) === base) return cls;
  }
  return "public";
}

function classifyV6(w: number[]): AddressClass {
  const zeroUpTo = (n: number) => w.slice(0, n).every((x) => x === 0);
  const v4At = (i: number) => ((w[i] << 16) | w[i + 1]) >>> 0;
  if (zeroUpTo(8)) return "unspecified";
  if (zeroUpTo(7) && w[7] === 1) return "loopback";
  if (zeroUpTo(5) && w[5] === 0xffff) return classifyV4(v4At(6)); // IPv4-mapped
  if (zeroUpTo(6)) return "reserved"; // IPv4-compatible (deprecated)
  if (w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0)) {
    return classifyV4(v4At(6)); // NAT64 well-known prefix
  }
  if (w[0] === 0x2002) return classifyV4(v4At(1)); // 6to4
  if (w[0] === 0x2001 && w[1] === 0x0db8) return "documentation";
  if ((w[0] & 0xfe00) === 0xfc00) return "unique_local";
  if ((w[0] & 0xffc0) === 0xfe80) return "link_local";
  if ((w[0] & 0xffc0) === 0xfec0) return "private"; // site-local (deprecated)
  if ((w[0] & 0xff00) === 0xff00) return "multicast";
  if (w[0] === 0x2001 && w[1] < 0x0200) return "reserved"; // 2001::/23, incl. Teredo
  if ((w[0] & 0xe000) !== 0x2000) return "reserved"; // not global unicast 2000::/3
  return "public";
}

function parseV4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ip4(parts[0], parts[1], parts[2], parts[3]);
}

function parseV6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let head = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail.push(v4 >>> 16, v4 & 0xffff);
    head = text.slice(0, lastColon + 1); // ends with ":"; keep a trailing "::"
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const group = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = group(halves[0]);
  const right = halves.length === 2 ? group(halves[1]) : [];
  if (left === undefined || right === undefined) return undefined;
  const given = left.length + right.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  return [...left, ...new Array(8 - given).fill(0), ...right, ...tail];
}
