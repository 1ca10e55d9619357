/**
 * A desktop notification server (the freedesktop.org Desktop Notifications Specification, 1.2)
 * on a private D-Bus session bus, for Firefox's system alerts backend (libnotify) in tests.
 *
 * It is what a desktop's notification daemon is to Firefox: Firefox calls `Notify` with the
 * notification's action buttons, and the daemon answers a press on one with the
 * `ActionInvoked(id, key)` signal. The test emits that signal where a user would press the button.
 *
 * Written here rather than with dbus-next because that package's optional native dependency
 * (usocket) hoists node-gyp 7 into node_modules, which then fails to build better-sqlite3 on
 * Node 20. The wire protocol needed is small: EXTERNAL authentication, method calls in, method
 * returns and signals out, little-endian only (D-Bus Specification, "Message Protocol").
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A notification Firefox asked the daemon to show. */
export interface DaemonNotification {
  id: number;
  summary: string;
  body: string;
  /** Pairs of action key and label, as sent: `['default', 'Activate', 'shoes-moz', 'Shoes']`. */
  actions: string[];
}

const path = '/org/freedesktop/Notifications';
const iface = 'org.freedesktop.Notifications';

/** Writes D-Bus values little-endian with the specification's alignment rules. */
class Writer {
  #bytes: number[] = [];
  get length() {
    return this.#bytes.length;
  }
  align(n: number) {
    while (this.#bytes.length % n) this.#bytes.push(0);
    return this;
  }
  byte(v: number) {
    this.#bytes.push(v & 0xff);
    return this;
  }
  u32(v: number) {
    this.align(4);
    this.#bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return this;
  }
  string(v: string) {
    const bytes = Buffer.from(v, 'utf8');
    this.u32(bytes.length);
    this.#bytes.push(...bytes, 0);
    return this;
  }
  signature(v: string) {
    this.#bytes.push(v.length, ...Buffer.from(v, 'ascii'), 0);
    return this;
  }
  stringArray(values: string[]) {
    this.u32(0);
    const at = this.#bytes.length - 4;
    const start = this.#bytes.length;
    for (const v of values) this.string(v);
    const size = this.#bytes.length - start;
    this.#bytes.splice(at, 4, size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24);
    return this;
  }
  buffer() {
    return Buffer.from(this.#bytes);
  }
}

/** Reads D-Bus values from a message, little-endian, with the same alignment. */
class Reader {
  constructor(
    readonly data: Buffer,
    public offset = 0,
  ) {}
  align(n: number) {
    this.offset = Math.ceil(this.offset / n) * n;
  }
  byte() {
    return this.data[this.offset++]!;
  }
  u32() {
    this.align(4);
    const v = this.data.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }
  string() {
    const length = this.u32();
    const v = this.data.toString('utf8', this.offset, this.offset + length);
    this.offset += length + 1;
    return v;
  }
  signature() {
    const length = this.byte();
    const v = this.data.toString('ascii', this.offset, this.offset + length);
    this.offset += length + 1;
    return v;
  }
  stringArray() {
    const end = this.u32() + this.offset;
    const values: string[] = [];
    while (this.offset < end) values.push(this.string());
    return values;
  }
  /** Skips an array whose elements align to `n` (e.g. 8 for `a{sv}`), without reading them. */
  skipArray(n: number) {
    const size = this.u32();
    this.align(n);
    this.offset += size;
  }
}

interface Incoming {
  type: number;
  serial: number;
  fields: Map<number, string | number>;
  body: Buffer;
}

// Header field codes (D-Bus Specification, "Header Fields").
const PATH = 1;
const INTERFACE = 2;
const MEMBER = 3;
const ERROR_NAME = 4;
const REPLY_SERIAL = 5;
const DESTINATION = 6;
const SENDER = 7;
const SIGNATURE = 8;
const fieldType: Record<number, string> = {
  [PATH]: 'o',
  [INTERFACE]: 's',
  [MEMBER]: 's',
  [ERROR_NAME]: 's',
  [REPLY_SERIAL]: 'u',
  [DESTINATION]: 's',
  [SENDER]: 's',
  [SIGNATURE]: 'g',
};

function parseMessage(data: Buffer): { message: Incoming; size: number } | undefined {
  if (data.length < 16) return undefined;
  const bodyLength = data.readUInt32LE(4);
  const fieldsLength = data.readUInt32LE(12);
  const headerEnd = Math.ceil((16 + fieldsLength) / 8) * 8;
  const size = headerEnd + bodyLength;
  if (data.length < size) return undefined;
  const reader = new Reader(data, 16);
  const fields = new Map<number, string | number>();
  while (reader.offset < 16 + fieldsLength) {
    reader.align(8);
    const code = reader.byte();
    const type = reader.signature();
    fields.set(code, type === 'u' ? reader.u32() : type === 'g' ? reader.signature() : reader.string());
  }
  return {
    message: { type: data[1]!, serial: data.readUInt32LE(8), fields, body: data.subarray(headerEnd, size) },
    size,
  };
}

/**
 * Starts a private bus (`dbus-daemon`) and the notification server on it.
 *
 * @example
 * ```ts
 * const daemon = await NotificationDaemon.start();
 * // launch Firefox with env DBUS_SESSION_BUS_ADDRESS = daemon.address, alerts.useSystemBackend = true
 * const shown = await daemon.waitFor((n) => n.summary === 'Sale');
 * daemon.invokeAction(shown.id, 'shoes-moz');
 * ```
 */
export class NotificationDaemon {
  /** Every notification Firefox asked to show, in order. */
  readonly notifications: DaemonNotification[] = [];
  /** Ids Firefox closed (`CloseNotification`). */
  readonly closed: number[] = [];
  readonly #bus: ChildProcess;
  readonly #dir: string;
  readonly #socket: Socket;
  #serial = 0;
  #waiters: (() => void)[] = [];

  private constructor(
    readonly address: string,
    bus: ChildProcess,
    dir: string,
    socket: Socket,
  ) {
    this.#bus = bus;
    this.#dir = dir;
    this.#socket = socket;
  }

  static async start(): Promise<NotificationDaemon> {
    const dir = mkdtempSync(join(tmpdir(), 'herald-dbus-'));
    const socketPath = join(dir, 'bus');
    writeFileSync(
      join(dir, 'bus.conf'),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>`,
    );
    const bus = spawn(
      'dbus-daemon',
      [`--config-file=${join(dir, 'bus.conf')}`, '--nofork', '--print-address=1'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    // A test process that dies without its afterAll still takes its bus with it.
    const stop = () => bus.kill();
    process.once('exit', stop);
    bus.once('exit', () => process.off('exit', stop));
    const address = await new Promise<string>((resolve, reject) => {
      bus.once('error', reject);
      bus.stdout!.once('data', (line) => resolve(String(line).trim()));
    });
    const socket = createConnection(socketPath);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    // SASL EXTERNAL with our uid in hex ASCII (D-Bus Specification, "Authentication Protocol").
    const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
    socket.write(`\0AUTH EXTERNAL ${uid}\r\n`);
    const answer = await new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
    if (!answer.startsWith('OK ')) throw new Error(`the bus refused authentication: ${answer.trim()}`);
    socket.write('BEGIN\r\n');
    const daemon = new NotificationDaemon(address, bus, dir, socket);
    daemon.#listen();
    daemon.#call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello');
    daemon.#call(
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'RequestName',
      'su',
      (w) => w.string(iface).u32(4 /* DBUS_NAME_FLAG_DO_NOT_QUEUE */),
    );
    return daemon;
  }

  /** Resolves with the first notification (already shown or to come) that `match` accepts. */
  async waitFor(match: (n: DaemonNotification) => boolean, timeoutMs = 15_000): Promise<DaemonNotification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.notifications.find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching notification within ${timeoutMs} ms; shown: ${JSON.stringify(this.notifications)}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Emits `ActionInvoked(id, key)`: what the daemon says when the user presses a button. */
  invokeAction(id: number, key: string): void {
    this.#send(
      4,
      [
        [PATH, path],
        [INTERFACE, iface],
        [MEMBER, 'ActionInvoked'],
        [SIGNATURE, 'us'],
      ],
      (w) => w.u32(id).string(key),
    );
  }

  async close(): Promise<void> {
    this.#socket.destroy();
    this.#bus.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #listen() {
    let pending = Buffer.alloc(0);
    this.#socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (let parsed = parseMessage(pending); parsed; parsed = parseMessage(pending)) {
        pending = pending.subarray(parsed.size);
        if (parsed.message.type === 1) this.#answer(parsed.message);
      }
    });
  }

  #answer(call: Incoming) {
    const member = call.fields.get(MEMBER);
    const reply = (signature: string, body?: (w: Writer) => void) =>
      this.#send(
        2,
        [
          [REPLY_SERIAL, call.serial],
          [DESTINATION, String(call.fields.get(SENDER))],
          ...(signature ? ([[SIGNATURE, signature]] as [number, string][]) : []),
        ],
        body,
      );
    if (call.fields.get(INTERFACE) === iface && member === 'GetServerInformation') {
      return reply('ssss', (w) => w.string('herald-test').string('herald').string('1').string('1.2'));
    }
    if (call.fields.get(INTERFACE) === iface && member === 'GetCapabilities') {
      return reply('as', (w) => w.stringArray(['actions', 'body', 'persistence']));
    }
    if (call.fields.get(INTERFACE) === iface && member === 'Notify') {
      // Notify(app_name s, replaces_id u, app_icon s, summary s, body s, actions as, hints a{sv}, timeout i)
      const r = new Reader(call.body);
      r.string();
      const replaces = r.u32();
      r.string();
      const summary = r.string();
      const body = r.string();
      const actions = r.stringArray();
      r.skipArray(8);
      const id = replaces || this.notifications.length + 1;
      this.notifications.push({ id, summary, body, actions });
      for (const wake of this.#waiters.splice(0)) wake();
      return reply('u', (w) => w.u32(id));
    }
    if (call.fields.get(INTERFACE) === iface && member === 'CloseNotification') {
      this.closed.push(new Reader(call.body).u32());
      return reply('');
    }
    this.#send(
      3,
      [
        [REPLY_SERIAL, call.serial],
        [DESTINATION, String(call.fields.get(SENDER))],
        [ERROR_NAME, 'org.freedesktop.DBus.Error.UnknownMethod'],
      ],
      undefined,
    );
  }

  #call(
    destination: string,
    objectPath: string,
    callInterface: string,
    member: string,
    signature = '',
    body?: (w: Writer) => void,
  ) {
    this.#send(
      1,
      [
        [PATH, objectPath],
        [INTERFACE, callInterface],
        [MEMBER, member],
        [DESTINATION, destination],
        ...(signature ? ([[SIGNATURE, signature]] as [number, string][]) : []),
      ],
      body,
    );
  }

  #send(type: number, fields: [number, string | number][], body?: (w: Writer) => void) {
    const payload = new Writer();
    body?.(payload);
    const bodyBytes = payload.buffer();
    // Flag 1: NO_REPLY_EXPECTED for everything but method calls, whose replies we ignore anyway.
    const header = new Writer()
      .byte(0x6c)
      .byte(type)
      .byte(type === 1 ? 0 : 1)
      .byte(1);
    header.u32(bodyBytes.length).u32(++this.#serial);
    const fieldStart = header.length + 4;
    header.u32(0);
    for (const [code, value] of fields) {
      header.align(8).byte(code).signature(fieldType[code]!);
      if (fieldType[code] === 'u') header.u32(value as number);
      else if (fieldType[code] === 'g') header.signature(value as string);
      else header.string(value as string);
    }
    const bytes = header.buffer();
    bytes.writeUInt32LE(bytes.length - fieldStart, fieldStart - 4);
    const padded = Buffer.concat([bytes, Buffer.alloc((8 - (bytes.length % 8)) % 8)]);
    this.#socket.write(Buffer.concat([padded, bodyBytes]));
  }
}
