/** One entry of an import body: its text and the line it starts on (1-based). */
export interface ImportEntry {
  line: number;
  text: string;
  /** Set when the entry could not be cut out of the stream (too long, bad structure). */
  problem?: string;
}

/** Entries longer than this are refused without being parsed (a subscription is ~500 bytes). */
export const maxEntryLength = 16_384;

const blank = (char: string) => char === ' ' || char === '\n' || char === '\r' || char === '\t';

async function* decode(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of chunks)
    yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Accumulates one entry, remembering where it started and whether it overflowed. */
class EntryBuffer {
  text = '';
  line = 1;
  tooLong = false;

  add(piece: string, line: number): void {
    if (this.text === '' && !this.tooLong) {
      const start = piece.search(/\S/);
      if (start === -1) return;
      piece = piece.slice(start);
      this.line = line;
    }
    if (this.tooLong || this.text.length + piece.length > maxEntryLength) this.tooLong = true;
    else this.text += piece;
  }

  take(): ImportEntry | undefined {
    const text = this.text.trim();
    const entry: ImportEntry | undefined = this.tooLong
      ? { line: this.line, text: '', problem: `entry longer than ${maxEntryLength} characters` }
      : text === ''
        ? undefined
        : { line: this.line, text };
    this.text = '';
    this.tooLong = false;
    return entry;
  }
}

async function* ndjson(texts: AsyncIterable<string>): AsyncGenerator<ImportEntry> {
  const buffer = new EntryBuffer();
  let line = 1;
  for await (const text of texts) {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      buffer.add(text.slice(start, nl === -1 ? undefined : nl), line);
      if (nl === -1) break;
      const entry = buffer.take();
      if (entry) yield entry;
      line++;
      start = nl + 1;
    }
  }
  const entry = buffer.take();
  if (entry) yield entry;
}

async function* jsonArray(texts: AsyncIterable<string>): AsyncGenerator<ImportEntry> {
  const buffer = new EntryBuffer();
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let closed = false;
  for await (const text of texts) {
    let from = 0;
    // Copies text[from, to) into the current entry; the scanner flushes at element boundaries.
    const flush = (to: number) => {
      if (to > from) buffer.add(text.slice(from, to), line);
      from = to;
    };
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (closed) {
        if (!blank(char)) {
          yield { line, text: '', problem: 'unexpected text after the closing ] of the array' };
          return;
        }
        if (char === '\n') line++;
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (char === '\\') escaped = true;
        else if (char === '"') inString = false;
        continue;
      }
      if (char === '\n') {
        flush(i + 1);
        line++;
      } else if (char === '"') inString = true;
      else if (depth === 0) {
        if (char === '[') {
          depth = 1;
          from = i + 1;
        } else if (!blank(char)) {
          yield { line, text: '', problem: 'expected a JSON array' };
          return;
        }
      } else if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') {
        depth--;
        if (depth === 0) {
          flush(i);
          from = i + 1;
          const entry = buffer.take();
          if (entry) yield entry;
          closed = true;
        }
      } else if (char === ',' && depth === 1) {
        flush(i);
        from = i + 1;
        yield buffer.take() ?? { line, text: '', problem: 'empty array element' };
      }
    }
    if (!closed) flush(text.length);
  }
  if (!closed) {
    const entry = buffer.take();
    if (entry) yield entry;
    yield { line, text: '', problem: 'the array is not closed with ]' };
  }
}

/**
 * Cuts a stream of bytes into entries without ever holding more than one: NDJSON (one JSON value
 * per line) or one JSON array (entries are its top-level elements; the scanner tracks strings,
 * escapes and nesting, so commas and brackets inside values do not split). The first non-blank
 * character decides: `[` means an array.
 *
 * @example
 * ```ts
 * for await (const entry of importEntries(request.raw)) console.log(entry.line, entry.text);
 * ```
 */
export async function* importEntries(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<ImportEntry> {
  const texts = decode(chunks);
  let first = await texts.next();
  let offset = 0;
  while (!first.done) {
    offset = first.value.search(/\S/);
    if (offset !== -1) break;
    first = await texts.next();
  }
  if (first.done) return;
  const head = first.value;
  const all = (async function* () {
    yield head;
    yield* texts;
  })();
  yield* head[offset] === '[' ? jsonArray(all) : ndjson(all);
}
