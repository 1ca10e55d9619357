/**
 * How error messages show a value that was received: strings quoted (cut at 40 characters),
 * numbers and booleans as themselves, anything else by its type. Never calls the value's own
 * `toString`, which hostile input may have replaced or removed.
 *
 * @internal
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    default:
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : typeof value;
  }
}
