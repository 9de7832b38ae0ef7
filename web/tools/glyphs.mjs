// Builds the map's label glyphs offline: signed-distance-field glyph PBFs (the format MapLibre
// GL JS fetches from a style's `glyphs` URL) from an open font, written to
// web/fonts/{fontstack}/{start}-{end}.pbf and committed, so the map needs no glyph server.
//
// Usage (from web/tools): npm ci && node glyphs.mjs
// Font: DejaVu Sans (Debian's fonts-dejavu-core, /usr/share/fonts/truetype/dejavu; licence in
// web/fonts/DejaVu-LICENSE.txt), rasterised by Skia (@napi-rs/canvas) and turned into SDFs by
// @mapbox/tiny-sdf with MapLibre's own settings (24 px, 3 px buffer, 8 px radius, cutoff 0.25).
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCanvas, GlobalFonts } from "@napi-rs/canvas";
import TinySDF from "@mapbox/tiny-sdf";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "fonts");
const FONT_DIR = process.env.NEARHOME_FONT_DIR || "/usr/share/fonts/truetype/dejavu";

// Fontstack name (as the style's text-font names it) -> font file, family and weight.
const STACKS = [
  { name: "DejaVu Sans Book", file: "DejaVuSans.ttf", family: "NearhomeBook", weight: "normal" },
  { name: "DejaVu Sans Bold", file: "DejaVuSans-Bold.ttf", family: "NearhomeBold", weight: "bold" },
];
// Basic Latin + Latin-1, Latin Extended-A/B (Welsh, Irish and other names), General
// Punctuation (curly apostrophes and dashes in names like "King’s Lynn").
const RANGES = [0, 256, 8192];

// MapLibre's glyph_manager draws local glyphs with the same TinySDF settings and shifts them
// by these amounts; glyph PBFs carry the shifted metrics.
const TOP_ADJUSTMENT = 27.5;

class NodeSDF extends TinySDF {
  _createCanvas(size) {
    return createCanvas(size, size);
  }
}

// Minimal protobuf writer (varints, zigzag, length-delimited fields).
class Writer {
  constructor() { this.bytes = []; }
  varint(v) {
    let n = v >>> 0;
    while (n > 127) { this.bytes.push((n & 127) | 128); n >>>= 7; }
    this.bytes.push(n);
  }
  tag(field, wire) { this.varint((field << 3) | wire); }
  uint(field, v) { this.tag(field, 0); this.varint(v); }
  sint(field, v) { this.tag(field, 0); this.varint((v << 1) ^ (v >> 31)); }
  raw(field, buf) { this.tag(field, 2); this.varint(buf.length); for (const b of buf) this.bytes.push(b); }
  str(field, s) { this.raw(field, Buffer.from(s, "utf8")); }
  done() { return Uint8Array.from(this.bytes); }
}

function glyphMessage(id, g) {
  const w = new Writer();
  w.uint(1, id);
  if (g.glyphWidth > 0 && g.glyphHeight > 0) w.raw(2, g.data);
  w.uint(3, g.glyphWidth);
  w.uint(4, g.glyphHeight);
  w.sint(5, Math.round(g.glyphLeft));
  w.sint(6, Math.round(g.glyphTop - TOP_ADJUSTMENT));
  w.uint(7, Math.round(g.glyphAdvance));
  return w.done();
}

for (const stack of STACKS) {
  const path = join(FONT_DIR, stack.file);
  if (!existsSync(path)) throw new Error("font missing: " + path + " (apt-get install fonts-dejavu-core)");
  GlobalFonts.registerFromPath(path, stack.family);
  const sdf = new NodeSDF({ fontSize: 24, buffer: 3, radius: 8, cutoff: 0.25, fontFamily: stack.family, fontWeight: stack.weight });
  const dir = join(out, stack.name);
  mkdirSync(dir, { recursive: true });
  for (const start of RANGES) {
    const end = start + 255;
    const fontstack = new Writer();
    fontstack.str(1, stack.name);
    fontstack.str(2, start + "-" + end);
    let count = 0;
    for (let id = start; id <= end; id++) {
      // Control characters have no glyph; skip them (MapLibre never asks to draw them).
      if (id < 32 || (id >= 127 && id < 160)) continue;
      const ch = String.fromCodePoint(id);
      const g = sdf.draw(ch);
      if (!(g.glyphAdvance > 0)) continue;
      fontstack.raw(3, glyphMessage(id, g));
      count++;
    }
    const top = new Writer();
    top.raw(1, fontstack.done());
    const file = join(dir, start + "-" + end + ".pbf");
    writeFileSync(file, top.done());
    console.log(stack.name + " " + start + "-" + end + ": " + count + " glyphs");
  }
}
