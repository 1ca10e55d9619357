// A line chart as hand-written SVG (chart packages that need a native canvas do not install
// here): time on the x axis, one series on the left axis and one on the right.

const escapeXml = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceMax(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/**
 * `left` and `right` are `{ label, points: [[seconds, value], ...] }`; returns the SVG text.
 */
export function timelineSvg({ title, left, right }) {
  const width = 720;
  const height = 360;
  const pad = { left: 70, right: 70, top: 40, bottom: 45 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const xMax = niceMax(Math.max(...left.points.map((p) => p[0]), ...right.points.map((p) => p[0]), 1));
  const yLeft = niceMax(Math.max(...left.points.map((p) => p[1])));
  const yRight = niceMax(Math.max(...right.points.map((p) => p[1])));
  const x = (t) => pad.left + (Math.max(0, t) / xMax) * plotW;
  const y = (v, max) => pad.top + plotH - (v / max) * plotH;
  const line = (points, max) =>
    points.map(([t, v]) => `${x(t).toFixed(1)},${y(v, max).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title id="title">${escapeXml(title)}: ${escapeXml(left.label)} and ${escapeXml(right.label)} over time</title>`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (const f of ticks) {
    const yy = pad.top + plotH - f * plotH;
    parts.push(
      `<line x1="${pad.left}" y1="${yy}" x2="${pad.left + plotW}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${pad.left - 6}" y="${yy + 4}" text-anchor="end" fill="#1f5fbf">${Math.round(f * yLeft).toLocaleString('en-US')}</text>`,
      `<text x="${pad.left + plotW + 6}" y="${yy + 4}" fill="#c0392b">${Math.round(f * yRight).toLocaleString('en-US')}</text>`,
      `<text x="${pad.left + f * plotW}" y="${pad.top + plotH + 18}" text-anchor="middle">${Math.round(f * xMax)}</text>`,
    );
  }
  parts.push(
    `<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="${line(left.points, yLeft)}"/>`,
    `<polyline fill="none" stroke="#c0392b" stroke-width="1.5" points="${line(right.points, yRight)}"/>`,
    `<text x="${pad.left + plotW / 2}" y="${height - 8}" text-anchor="middle">seconds since the first push</text>`,
    `<text transform="translate(16 ${pad.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#1f5fbf">${escapeXml(left.label)} (sink, 250 ms buckets)</text>`,
    `<text transform="translate(${width - 14} ${pad.top + plotH / 2}) rotate(90)" text-anchor="middle" fill="#c0392b">${escapeXml(right.label)} (server process)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
