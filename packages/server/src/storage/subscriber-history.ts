/** One UTC day of the subscriber history. */
export interface SubscriberDay {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  /** Subscriptions created that day, including those removed since. */
  added: number;
  /** Subscriptions deleted or pruned that day. */
  removed: number;
  /** Subscriptions held at the end of the day. */
  total: number;
}

/**
 * Builds the subscriber history from what both storages keep: the subscriptions held now, counted
 * by creation day, and the `subscription_removals` counts (creation day, removal day). A removed
 * subscription counts as added on its creation day and removed on its removal day, so the
 * history does not change when subscriptions go. Days without a change are left out.
 *
 * @example
 * ```ts
 * subscriberHistory([{ day: '2026-01-02', count: 1 }], [{ createdDay: '2026-01-01', removedDay: '2026-01-02', count: 2 }]);
 * // [{ day: '2026-01-01', added: 2, removed: 0, total: 2 }, { day: '2026-01-02', added: 1, removed: 2, total: 1 }]
 * ```
 */
export function subscriberHistory(
  heldByCreationDay: { day: string; count: number }[],
  removals: { createdDay: string; removedDay: string; count: number }[],
): SubscriberDay[] {
  const days = new Map<string, { added: number; removed: number }>();
  const at = (day: string) => {
    const entry = days.get(day) ?? { added: 0, removed: 0 };
    days.set(day, entry);
    return entry;
  };
  for (const { day, count } of heldByCreationDay) at(day).added += count;
  for (const { createdDay, removedDay, count } of removals) {
    at(createdDay).added += count;
    at(removedDay).removed += count;
  }
  let total = 0;
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([day, { added, removed }]) => {
      total += added - removed;
      return { day, added, removed, total };
    });
}
