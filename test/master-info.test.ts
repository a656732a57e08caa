import { describe, expect, it } from '@jest/globals';
import {
  decodeMasterInfo,
  leaderFromChildren,
  masterAddress,
  masterNodes,
  mastersFromChildren,
  type MasterInfo,
} from '../src/mesos/master-info.js';
import { parseZkUrl } from '../src/mesos/zk-url.js';
import { ConfigError } from '../src/errors.js';
import { masterInfoJson, masterInfoProtobuf, packIPv4 } from './helpers/zookeeper.js';
import { joinHostPort } from '../src/net/address.js';

const json = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));
const addr = (info: MasterInfo | undefined): string | undefined => (info ? joinHostPort(masterAddress(info)) : undefined);

describe('parseZkUrl', () => {
  it.each([
    ['zk://10.0.0.1:2181/mesos', '10.0.0.1:2181', '/mesos'],
    ['zk://h1:2181,h2:2182,h3:2183/mesos', 'h1:2181,h2:2182,h3:2183', '/mesos'],
    ['zk://user:secret@zk1.example.com:2181/mesos', 'zk1.example.com:2181', '/mesos'],
    ['zk://user:p@ss@zk1:2181/mesos', 'zk1:2181', '/mesos'],
    ['zk://zk1/mesos', 'zk1:2181', '/mesos'],
    ['ZK://zk1:2181/dc1/mesos/', 'zk1:2181', '/dc1/mesos'],
    ['  zk://zk1:2181/mesos  ', 'zk1:2181', '/mesos'],
  ])('%s -> %s %s', (url, servers, path) => {
    expect(parseZkUrl(url)).toEqual({ servers, path, hasCredentials: url.includes('@') });
  });

  it.each([
    ['', 'not a zk:// URL'],
    ['zk1:2181/mesos', 'not a zk:// URL'],
    ['http://zk1:2181/mesos', 'unsupported scheme'],
    ['file:///etc/mesos/zk', 'file://'],
    ['zk://zk1:2181', 'path is missing'],
    ['zk://zk1:2181/', 'below "/"'],
    ['zk://zk1:2181//mesos', 'bad znode path'],
    ['zk://zk1:2181/mesos/../x', 'bad znode path'],
    ['zk://:2181/mesos', 'bad ZooKeeper host'],
    ['zk://zk1:2181,/mesos', 'empty ZooKeeper host'],
    ['zk://zk1:0/mesos', 'bad port'],
    ['zk://zk1:65536/mesos', 'bad port'],
    ['zk://zk1:abc/mesos', 'bad port'],
    ['zk://[::1]:2181/mesos', 'IPv6'],
    ['zk://zk1:2181/mesos?x=1', 'query'],
  ])('rejects %j (%s)', (url, reason) => {
    let caught: unknown;
    try {
      parseZkUrl(url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe('zk');
    expect((caught as ConfigError).reason).toContain(reason);
  });
});

describe('leaderFromChildren', () => {
  it.each<[string, string[], string | undefined]>([
    ['no children', [], undefined],
    ['only other children', ['log_replicas', 'foo'], undefined],
    ['single json node', ['json.info_0000000003'], 'json.info_0000000003'],
    ['lowest json sequence wins', ['json.info_0000000010', 'json.info_0000000002', 'json.info_0000000007'], 'json.info_0000000002'],
    ['numeric, not string order', ['json.info_9', 'json.info_10'], 'json.info_9'],
    ['json preferred over a lower info_', ['info_0000000001', 'json.info_0000000005'], 'json.info_0000000005'],
    ['info_ fallback, lowest sequence', ['info_0000000004', 'info_0000000002', 'log_replicas'], 'info_0000000002'],
    ['ignores malformed names', ['json.info_', 'json.info_x1', 'info_-1', 'xjson.info_1', 'json.info_0000000008'], 'json.info_0000000008'],
  ])('%s', (_name, children, leader) => {
    expect(leaderFromChildren(children)).toBe(leader);
  });

  it('masterNodes lists both labels in sequence order', () => {
    expect(masterNodes(['json.info_3', 'log_replicas', 'info_1', 'json.info_2'])).toEqual([
      { name: 'info_1', label: 'protobuf', seq: 1 },
      { name: 'json.info_2', label: 'json', seq: 2 },
      { name: 'json.info_3', label: 'json', seq: 3 },
    ]);
  });
});

describe('decodeMasterInfo (JSON)', () => {
  // The first rows are mesos-dns's detect/masters_test.go TestMasterAddr cases.
  it.each<[string, unknown, string | undefined]>([
    ['address with empty ip -> ":port" (mesos-dns)', { address: { ip: '', port: 1234 } }, ':1234'],
    ['address ip, port 0', { address: { ip: '1.1.1.1', port: 0 } }, '1.1.1.1:0'],
    ['address ip and port', { address: { ip: '1.1.1.1', port: 1234 } }, '1.1.1.1:1234'],
    ['port only -> 0.0.0.0', { port: 1234 }, '0.0.0.0:1234'],
    ['packed ip only -> default port 5050', { ip: packIPv4('1.1.1.1') }, '1.1.1.1:5050'],
    ['packed ip and port', { ip: packIPv4('1.1.1.1'), port: 1234 }, '1.1.1.1:1234'],
    ['packed ip is little-endian: 127.0.0.1 is 16777343', { ip: 16777343 }, '127.0.0.1:5050'],
    ['address wins over packed ip', { ip: packIPv4('9.9.9.9'), port: 9, address: { ip: '10.0.0.1', port: 5050 } }, '10.0.0.1:5050'],
    ['empty address ip falls back to address hostname', { address: { hostname: 'm1.example', ip: '', port: 5050 } }, 'm1.example:5050'],
    ['then to the top-level hostname', { hostname: 'm2.example', address: { port: 5050 } }, 'm2.example:5050'],
    ['IPv6 address ip is bracketed', { address: { ip: 'fd00::1', port: 5050 } }, '[fd00::1]:5050'],
    ['not an object', [1, 2], undefined],
    ['a string', 'master@1.1.1.1:5050', undefined],
    ['no location at all', { id: 'x', hostname: 'h' }, undefined],
    ['wrong type for port', { address: { ip: '1.1.1.1', port: '5050' } }, undefined],
    ['wrong type for address', { address: '1.1.1.1:5050' }, undefined],
    ['negative ip', { ip: -1 }, undefined],
  ])('%s', (_name, doc, want) => {
    expect(addr(decodeMasterInfo(json(doc), 'json'))).toBe(want);
  });

  it('reads the id and address of a real-shaped MasterInfo', () => {
    expect(decodeMasterInfo(masterInfoJson({ id: 'master-1', ip: '10.1.2.3', port: 5050 }), 'json')).toEqual({
      id: 'master-1',
      host: '10.1.2.3',
      port: 5050,
    });
  });

  it.each([
    ['not JSON', Buffer.from('{"address":')],
    ['empty', Buffer.alloc(0)],
    ['binary', Buffer.from([0xff, 0x00, 0x13])],
  ])('garbage (%s) gives undefined', (_name, data) => {
    expect(decodeMasterInfo(data, 'json')).toBeUndefined();
  });
});

describe('decodeMasterInfo (legacy info_ nodes)', () => {
  it('decodes a hand-encoded protobuf MasterInfo', () => {
    // id "m1", ip 16777343 (127.0.0.1), port 5050, then unknown fields to skip.
    const proto = Buffer.from([
      0x0a, 0x02, 0x6d, 0x31, // 1: id = "m1"
      0x10, 0xff, 0x80, 0x80, 0x08, // 2: ip = 16777343
      0x18, 0xba, 0x27, // 3: port = 5050
      0x32, 0x01, 0x31, // 6: version = "1" (skipped)
      0x4d, 0x01, 0x02, 0x03, 0x04, // 9: fixed32 (skipped)
    ]);
    expect(decodeMasterInfo(proto, 'protobuf')).toEqual({ id: 'm1', host: '127.0.0.1', port: 5050 });
  });

  it('decodes the protobuf a pre-0.24 master writes, with and without address', () => {
    expect(addr(decodeMasterInfo(masterInfoProtobuf({ id: 'a', ip: '10.0.0.7', port: 5051 }), 'protobuf'))).toBe('10.0.0.7:5051');
    // Address (field 7) wins: hostname "h", ip "10.9.9.9", port 15050.
    const address = Buffer.from([0x0a, 0x01, 0x68, 0x12, 0x08, ...Buffer.from('10.9.9.9'), 0x18, 0xca, 0x75]);
    const withAddress = Buffer.concat([masterInfoProtobuf({ id: 'b', ip: '10.0.0.8', port: 5050 }), Buffer.from([0x3a, address.length]), address]);
    expect(decodeMasterInfo(withAddress, 'protobuf')).toEqual({ id: 'b', host: '10.9.9.9', port: 15050 });
  });

  it('uses the default port 5050 when the protobuf has none', () => {
    expect(addr(decodeMasterInfo(Buffer.from([0x0a, 0x01, 0x78, 0x10, 0x7f]), 'protobuf'))).toBe('127.0.0.0:5050');
  });

  it('reads the oldest format, a bare pid string', () => {
    expect(decodeMasterInfo(Buffer.from('master@10.0.0.9:5050'), 'protobuf')).toEqual({ id: '', host: '10.0.0.9', port: 5050 });
    expect(decodeMasterInfo(Buffer.from('master@10.0.0.9:5050\n'), 'protobuf')).toEqual({ id: '', host: '10.0.0.9', port: 5050 });
  });

  it.each([
    ['empty', []],
    ['truncated varint', [0x0a, 0x02, 0x6d, 0x31, 0x10, 0xff]],
    ['length past the end', [0x0a, 0x09, 0x6d]],
    ['field number 0', [0x00, 0x01]],
    ['wire type 3 (groups)', [0x0b]],
    ['no id (required field)', [0x10, 0x7f, 0x18, 0xba, 0x27]],
    ['varint longer than 10 bytes', [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['random text', [...Buffer.from('hello world')]],
    ['pid with a bad port', [...Buffer.from('master@10.0.0.9:99999')]],
  ])('garbage (%s) gives undefined', (_name, bytes) => {
    expect(decodeMasterInfo(Buffer.from(bytes), 'protobuf')).toBeUndefined();
  });
});

describe('mastersFromChildren', () => {
  const m = (id: string, ip: string, port = 5050): Buffer => masterInfoJson({ id, ip, port });

  it.each<[string, Array<{ name: string; data: Buffer | undefined }>, { leader: string | undefined; masters: string[] }]>([
    ['nothing', [], { leader: undefined, masters: [] }],
    [
      'leader first, others in sequence order',
      [
        { name: 'json.info_0000000009', data: m('c', '10.0.0.3') },
        { name: 'log_replicas', data: Buffer.from('x') },
        { name: 'json.info_0000000004', data: m('b', '10.0.0.2') },
        { name: 'json.info_0000000002', data: m('a', '10.0.0.1', 15050) },
      ],
      { leader: '10.0.0.1:15050', masters: ['10.0.0.1:15050', '10.0.0.2:5050', '10.0.0.3:5050'] },
    ],
    [
      'a master with both labels counts once (by id); json leads',
      [
        { name: 'info_0000000001', data: masterInfoProtobuf({ id: 'a', ip: '10.0.0.1', port: 5050 }) },
        { name: 'json.info_0000000002', data: m('a', '10.0.0.1') },
        { name: 'info_0000000003', data: masterInfoProtobuf({ id: 'b', ip: '10.0.0.2', port: 5050 }) },
      ],
      { leader: '10.0.0.1:5050', masters: ['10.0.0.1:5050', '10.0.0.2:5050'] },
    ],
    [
      'info_ fallback',
      [
        { name: 'info_0000000007', data: masterInfoProtobuf({ id: 'y', ip: '10.0.0.8', port: 5050 }) },
        { name: 'info_0000000006', data: masterInfoProtobuf({ id: 'x', ip: '10.0.0.7', port: 5050 }) },
      ],
      { leader: '10.0.0.7:5050', masters: ['10.0.0.7:5050', '10.0.0.8:5050'] },
    ],
    [
      'same address under two ids is listed once',
      [
        { name: 'json.info_1', data: m('old', '10.0.0.1') },
        { name: 'json.info_2', data: m('new', '10.0.0.1') },
      ],
      { leader: '10.0.0.1:5050', masters: ['10.0.0.1:5050'] },
    ],
    [
      'unreadable leader data: leader unknown, not the next node',
      [
        { name: 'json.info_1', data: Buffer.from('garbage') },
        { name: 'json.info_2', data: m('b', '10.0.0.2') },
      ],
      { leader: undefined, masters: ['10.0.0.2:5050'] },
    ],
    [
      'a node gone before its data was read is not the leader',
      [
        { name: 'json.info_1', data: undefined },
        { name: 'json.info_2', data: m('b', '10.0.0.2') },
      ],
      { leader: '10.0.0.2:5050', masters: ['10.0.0.2:5050'] },
    ],
    [
      'a leader with no host (mesos-dns ":1234") is unusable',
      [
        { name: 'json.info_1', data: json({ id: 'a', address: { ip: '', port: 1234 } }) },
        { name: 'json.info_2', data: m('b', '10.0.0.2') },
      ],
      { leader: undefined, masters: ['10.0.0.2:5050'] },
    ],
  ])('%s', (_name, children, want) => {
    const got = mastersFromChildren(children);
    expect({ leader: got.leader && joinHostPort(got.leader), masters: got.masters.map(joinHostPort) }).toEqual(want);
  });
});
