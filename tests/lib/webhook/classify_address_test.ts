import assert from "node:assert/strict";
import { type AddressClass, classifyAddress } from "../../../lib/webhook/mod.ts";

const CASES: Array<[string, AddressClass | undefined]> = [
  // IPv4
  ["8.8.8.8", "public"],
  ["93.184.215.14", "public"],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["11.0.0.1", "public"],
  ["100.63.255.255", "public"],
  ["100.64.0.1", "cgnat"],
  ["100.100.100.200", "cgnat"],
  ["100.127.255.255", "cgnat"],
  ["100.128.0.0", "public"],
  ["127.0.0.1", "loopback"],
  ["127.255.0.9", "loopback"],
  ["169.254.169.254", "link_local"],
  ["172.15.255.255", "public"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["172.32.0.0", "public"],
  ["192.0.0.8", "reserved"],
  ["192.0.2.1", "documentation"],
  ["192.168.1.1", "private"],
  ["198.18.0.1", "reserved"],
  ["198.19.255.255", "reserved"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  // IPv6
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["2606:4700:4700::1111", "public"],
  ["2001:4860:4860::8888", "public"],
  ["fe80::1", "link_local"],
  ["febf::1", "link_local"],
  ["fec0::1", "private"],
  ["fc00::1", "unique_local"],
  ["fd00:ec2::254", "unique_local"],
  ["ff02::1", "multicast"],
  ["2001:db8::1", "documentation"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"], // Teredo
  ["100::1", "reserved"],
  ["3fff::1", "public"],
  ["4000::1", "reserved"],
  ["::7f00:1", "reserved"], // IPv4-compatible (deprecated)
  // IPv4 inside IPv6
  ["::ffff:127.0.0.1", "loopback"],
  ["[::ffff:7f00:1]", "loopback"],
  ["::ffff:10.1.2.3", "private"],
  ["::ffff:169.254.169.254", "link_local"],
  ["::ffff:8.8.8.8", "public"],
  ["0:0:0:0:0:ffff:c0a8:0101", "private"],
  ["64:ff9b::a00:1", "private"], // NAT64 of 10.0.0.1
  ["64:ff9b::8.8.8.8", "public"],
  ["2002:7f00:1::", "loopback"], // 6to4 of 127.0.0.1
  ["2002:808:808::1", "public"],
  // Not IP literals
  ["example.com", undefined],
  ["256.0.0.1", undefined],
  ["1.2.3", undefined],
  ["1:2:3:4:5:6:7:8:9", undefined],
  ["1::2::3", undefined],
  ["12345::", undefined],
  ["", undefined],
];

Deno.test("classifyAddress() classifies IPv4, IPv6 and IPv4-in-IPv6 ranges", () => {
  for (const [address, expected] of CASES) {
    assert.equal(classifyAddress(address), expected, address);
  }
});

Deno.test("classifyAddress() agrees with the URL parser's normalised IPv4 forms", () => {
  for (const host of ["0x7f.1", "2130706433", "127.1", "017700000001"]) {
    assert.equal(classifyAddress(new URL(`https://${host}/`).hostname), "loopback", host);
  }
  assert.equal(
    classifyAddress(new URL("https://[::ffff:169.254.169.254]/").hostname),
    "link_local",
  );
});
