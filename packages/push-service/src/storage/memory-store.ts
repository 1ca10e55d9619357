import type { ChannelRecord, ChannelState, PushStore, StoreCounts, StoredMessage } from './store.js';

/**
 * The default {@link PushStore}: plain maps, nothing survives the process. Messages are kept per
 * uaid in insertion order, which is the order they are delivered in.
 *
 * @example
 * ```ts
 * const service = await PushService.start({ port: 0, store: new MemoryStore() });
 * ```
 */
export class MemoryStore implements PushStore {
  readonly #clients = new Set<string>();
  readonly #channels = new Map<string, Map<string, ChannelRecord>>();
  readonly #tokens = new Map<string, ChannelRecord>();
  readonly #messages = new Map<string, Map<string, StoredMessage>>();

  hasClient(uaid: string): boolean {
    return this.#clients.has(uaid);
  }

  addClient(uaid: string): void {
    this.#clients.add(uaid);
  }

  dropClient(uaid: string): void {
    this.#clients.delete(uaid);
    for (const channel of this.listChannels(uaid)) channel.state = 'dropped';
    this.#messages.delete(uaid);
  }

  getChannel(uaid: string, channelId: string): ChannelRecord | undefined {
    return this.#channels.get(uaid)?.get(channelId);
  }

  getChannelByToken(token: string): ChannelRecord | undefined {
    return this.#tokens.get(token);
  }

  listChannels(uaid: string): ChannelRecord[] {
    return [...(this.#channels.get(uaid)?.values() ?? [])];
  }

  addChannel(record: ChannelRecord): void {
    const copy = { ...record };
    let channels = this.#channels.get(record.uaid);
    if (!channels) {
      channels = new Map();
      this.#channels.set(record.uaid, channels);
    }
    channels.set(record.channelId, copy);
    this.#tokens.set(record.token, copy);
  }

  setChannelState(uaid: string, channelId: string, state: ChannelState): void {
    const channel = this.getChannel(uaid, channelId);
    if (!channel) return;
    channel.state = state;
    if (state === 'active') return;
    const messages = this.#messages.get(uaid);
    if (!messages) return;
    for (const [id, message] of messages) if (message.channelId === channelId) messages.delete(id);
  }

  saveMessage(message: StoredMessage): string | undefined {
    let messages = this.#messages.get(message.uaid);
    if (!messages) {
      messages = new Map();
      this.#messages.set(message.uaid, messages);
    }
    let replaced: string | undefined;
    if (message.topic !== null) {
      for (const [id, old] of messages) {
        if (old.channelId === message.channelId && old.topic === message.topic) {
          messages.delete(id);
          replaced = id;
        }
      }
    }
    messages.set(message.id, message);
    return replaced;
  }

  pendingMessages(uaid: string, now: number): StoredMessage[] {
    const messages = this.#messages.get(uaid);
    if (!messages) return [];
    const out: StoredMessage[] = [];
    for (const [id, message] of messages) {
      if (message.expiresAt <= now) messages.delete(id);
      else out.push(message);
    }
    if (messages.size === 0) this.#messages.delete(uaid);
    return out;
  }

  deleteMessage(uaid: string, channelId: string, id: string): boolean {
    const messages = this.#messages.get(uaid);
    const message = messages?.get(id);
    if (!messages || !message || message.channelId !== channelId) return false;
    messages.delete(id);
    if (messages.size === 0) this.#messages.delete(uaid);
    return true;
  }

  trimChannel(uaid: string, channelId: string, keep: number): number {
    const messages = this.#messages.get(uaid);
    if (!messages) return 0;
    let count = 0;
    for (const message of messages.values()) if (message.channelId === channelId) count++;
    let excess = count - keep;
    if (excess <= 0) return 0;
    const dropped = excess;
    // Insertion order is age order: the first ones of the channel are the oldest.
    for (const [id, message] of messages) {
      if (excess === 0) break;
      if (message.channelId !== channelId) continue;
      messages.delete(id);
      excess--;
    }
    return dropped;
  }

  deleteExpired(now: number): number {
    let count = 0;
    for (const [uaid, messages] of this.#messages) {
      for (const [id, message] of messages) {
        if (message.expiresAt <= now) {
          messages.delete(id);
          count++;
        }
      }
      if (messages.size === 0) this.#messages.delete(uaid);
    }
    return count;
  }

  counts(): StoreCounts {
    let messages = 0;
    for (const perClient of this.#messages.values()) messages += perClient.size;
    let channels = 0;
    for (const perClient of this.#channels.values()) channels += perClient.size;
    return { clients: this.#clients.size, channels, messages };
  }

  close(): void {}
}
