import type { MessageRecord, SubscriptionRecord } from '../storage/storage.js';

/** A subscription as the admin API answers it. */
export function subscriptionView(s: SubscriptionRecord) {
  return {
    id: s.id,
    endpoint: s.endpoint,
    keys: { p256dh: s.p256dh, auth: s.auth },
    contentEncoding: s.contentEncoding,
    vapidKeyId: s.vapidKeyId,
    pushService: s.pushServiceOrigin,
    topics: s.topics,
    userId: s.userId,
    configError: s.configError,
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
  };
}

/**
 * A message as the API answers it. `status` adds `scheduled` for a queued message whose
 * `sendAt` is still ahead; `pending` is what is neither sent, failed nor gone yet.
 */
export function messageView(m: MessageRecord, now = Date.now()) {
  const { targeted, sent, failed, gone, delivered, clicked, closed } = m.counts;
  const status = m.status === 'queued' && m.sendAt > now ? 'scheduled' : m.status;
  const finished = m.status === 'completed' || m.status === 'cancelled';
  return {
    id: m.id,
    status,
    to: m.target,
    notification: m.notification,
    ttl: m.ttl,
    urgency: m.urgency,
    topic: m.topic,
    sendAt: new Date(m.sendAt).toISOString(),
    counts: {
      targeted,
      sent,
      failed,
      gone,
      pending: finished ? 0 : Math.max(0, targeted - sent - failed - gone),
      delivered,
      clicked,
      closed,
    },
    lastError: m.lastError,
    createdAt: new Date(m.createdAt).toISOString(),
    completedAt: m.completedAt === null ? null : new Date(m.completedAt).toISOString(),
  };
}
