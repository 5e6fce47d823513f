import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPrivateAddress } from './private-address.ts';

// Issue #15.9: IPv6 ranges that reach private networks, and IPv6 spellings that carry a private IPv4 address.
describe('isPrivateAddress, IPv6 translation and tunnel ranges', () => {
  it('refuses local-use NAT64, site-local, Teredo and the IPv4-compatible range whatever they carry', () => {
    for (const address of [
      '64:ff9b:1::1',
      '64:ff9b:1::808:808',
      '64:ff9b:1:ffff::8.8.8.8',
      'fec0::1',
      'feff::1',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      '::8.8.8.8',
    ]) {
      assert.equal(isPrivateAddress(address), true, address);
    }
  });

  it('refuses a translated address (NAT64, IPv4-translated, IPv4-mapped, 6to4) that carries a private IPv4 address', () => {
    for (const address of [
      '64:ff9b::127.0.0.1',
      '64:ff9b::a00:1',
      '64:ff9b::10.0.0.1',
      '64:ff9b::169.254.169.254',
      '64:ff9b:0:0:0:0:a9fe:a9fe',
      '::ffff:0:0:0',
      '::ffff:0:a00:1',
      '::ffff:0:10.0.0.1',
      '::ffff:0:127.0.0.1',
      '::ffff:0:a9fe:a9fe',
      '0:0:0:0:ffff:0:c0a8:101',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '0:0:0:0:0:ffff:a00:1',
      '2002:a00:1::1',
      '2002:7f00:1::',
      '2002:a9fe:a9fe::1',
      '2002:c0a8:101:1::1',
      '2002:ac10:1::',
      '2002::1',
    ]) {
      assert.equal(isPrivateAddress(address), true, address);
    }
  });

  it('lets a translated address through when the IPv4 address it carries is public (DNS64 networks)', () => {
    for (const address of [
      '64:ff9b::8.8.8.8',
      '64:ff9b::808:808',
      '::ffff:0:8.8.8.8',
      '::ffff:0:808:808',
      '2002:808:808::1',
      '2002:101:101:1::1',
    ]) {
      assert.equal(isPrivateAddress(address), false, address);
    }
  });

  it('reads every spelling of one address alike (upper case, leading zeros, zone ids)', () => {
    assert.equal(isPrivateAddress('0064:FF9B:0000:0000:0000:0000:0A00:0001'), true);
    assert.equal(isPrivateAddress('FE80::1%eth0'), true);
    assert.equal(isPrivateAddress('2606:4700::1111'), false);
    assert.equal(isPrivateAddress('not an address'), false);
  });
});
