import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  type ChannelRecord,
  HeadlessUserAgent,
  MemoryStore,
  PushService,
  type PushStore,
  SqliteStore,
  type StoredMessage,
} from '../src/index.js';
import { push, vapidKeys } from './helpers.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-push-service-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const channel = (uaid: string, channelId: string, token: string): ChannelRecord => ({
  uaid,
  channelId,
  token,
  key: null,
  state: 'active',
  createdAt: 1,
});

let seq = 0;
const message = (uaid: string, channelId: string, fields: Partial<StoredMessage> = {}): StoredMessage => ({
  id: `m${++seq}`,
  uaid,
  channelId,
  ttl: 60,
  expiresAt: 1_000_000,
  topic: null,
  urgency: 'normal',
  headers: { encoding: 'aes128gcm' },
  data: 'AAEC',
  createdAt: 1,
  ...fields,
});

describe.each([
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => new SqliteStore(tempDir())],
] as Array<[string, () => PushStore]>)('%s', (_name, create) => {
  test('clients and channels, found by key and by token, in every state', () => {
    const store = create();
    expect(store.hasClient('u1')).toBe(false);
    store.addClient('u1', 1);
    store.addClient('u1', 2);
    expect(store.hasClient('u1')).toBe(true);
    store.addChannel(channel('u1', 'c1', 't1'));
    store.addChannel(channel('u1', 'c2', 't2'));
    expect(store.getChannel('u1', 'c1')).toEqual(channel('u1', 'c1', 't1'));
    expect(store.getChannelByToken('t2')?.channelId).toBe('c2');
    expect(store.getChannelByToken('nope')).toBeUndefined();
    expect(
      store
        .listChannels('u1')
        .map((c) => c.channelId)
        .sort(),
    ).toEqual(['c1', 'c2']);
    store.setChannelState('u1', 'c1', 'unsubscribed');
    expect(store.getChannelByToken('t1')?.state).toBe('unsubscribed');
    store.dropClient('u1');
    expect(store.hasClient('u1')).toBe(false);
    expect(store.getChannelByToken('t2')?.state).toBe('dropped');
    expect(store.counts()).toEqual({ clients: 0, channels: 2, messages: 0 });
    store.close();
  });

  test('messages: order, topic replacement, ack, expiry, deletion with their channel', () => {
    const store = create();
    store.addClient('u', 1);
    store.addChannel(channel('u', 'a', 'ta'));
    store.addChannel(channel('u', 'b', 'tb'));
    const first = message('u', 'a', { topic: 'x' });
    const other = message('u', 'b', {
      topic: 'x',
      headers: { encoding: 'aesgcm', encryption: 'salt=s', crypto_key: 'dh=k' },
    });
    const expired = message('u', 'a', { expiresAt: 50 });
    expect(store.saveMessage(first)).toBeUndefined();
    expect(store.saveMessage(other)).toBeUndefined();
    expect(store.saveMessage(expired)).toBeUndefined();
    const second = message('u', 'a', { topic: 'x', data: null });
    expect(store.saveMessage(second)).toBe(first.id);
    expect(store.pendingMessages('u', 100)).toEqual([other, second]);
    expect(store.counts().messages).toBe(2);
    expect(store.deleteMessage('u', 'a', other.id)).toBe(false);
    expect(store.deleteMessage('u', 'b', other.id)).toBe(true);
    expect(store.deleteMessage('u', 'b', other.id)).toBe(false);
    store.saveMessage(message('u', 'b', { expiresAt: 10 }));
    expect(store.deleteExpired(20)).toBe(1);
    store.setChannelState('u', 'a', 'expired');
    expect(store.pendingMessages('u', 100)).toEqual([]);
    store.close();
  });

  test('trimChannel keeps the newest waiting messages of one channel only', () => {
    const store = create();
    store.addClient('u', 1);
    store.addChannel(channel('u', 'a', 'ta'));
    store.addChannel(channel('u', 'b', 'tb'));
    const a = [1, 2, 3, 4].map(() => message('u', 'a'));
    const b = message('u', 'b');
    store.saveMessage(a[0]!);
    store.saveMessage(b);
    for (const m of a.slice(1)) store.saveMessage(m);
    expect(store.trimChannel('u', 'a', 2)).toBe(2);
    expect(store.trimChannel('u', 'a', 2)).toBe(0);
    expect(store.trimChannel('nobody', 'a', 2)).toBe(0);
    expect(store.pendingMessages('u', 100)).toEqual([b, a[2], a[3]]);
    store.close();
  });
});

test('with a data directory, registrations and waiting messages survive a restart', async () => {
  const dataDir = tempDir();
  const keys = await vapidKeys();
  let service = await PushService.start({ port: 0, dataDir });
  const agent = await HeadlessUserAgent.connect(service.websocketUrl);
  const subscription = await agent.subscribe({ applicationServerKey: keys.publicKeyText });
  const uaid = agent.uaid;
  agent.disconnect();
  await service.waitFor('ua:disconnect');
  expect((await push(subscription, 'kept across restarts', { vapid: keys })).status).toBe(201);
  const { port } = service;
  await service.close();

  service = await PushService.start({ port, dataDir });
  expect(service.status()).toMatchObject({ clients: 1, channels: 1, messages: 1 });
  await agent.reconnect();
  expect(agent.uaid).toBe(uaid);
  expect((await agent.waitForMessage()).text()).toBe('kept across restarts');
  // The VAPID key given at subscribe is still enforced after the restart.
  expect((await push(subscription, 'no vapid')).status).toBe(401);
  expect((await push(subscription, 'after restart', { vapid: keys })).status).toBe(201);
  expect((await agent.waitForMessage()).text()).toBe('after restart');
  agent.close();
  await service.close();
});

test('a data directory that cannot be created fails with ERR_STORAGE', () => {
  const file = join(tempDir(), 'a-file');
  writeFileSync(file, '');
  expect(() => new SqliteStore(join(file, 'data'))).toThrow(expect.objectContaining({ code: 'ERR_STORAGE' }));
});
