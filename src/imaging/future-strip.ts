/**
 * The imagined future as one image: one decoded frame per sparse future chunk side by side (a viewer shows one
 * image per topic), labelled with its time, JPEG-encoded with sharp. Pure raster work with no message types:
 * the planner node publishes it as a sensor_msgs/CompressedImage without importing viz.
 */
import sharp from 'sharp';

/** 8-bit RGB, rows top to bottom, channels interleaved. */
export interface RgbFrame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** One decoded future frame as the planner gives it: 8-bit RGB (HWC) and its time after the reference frame. */
export interface FutureFrame {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly timeS: number;
}

/** '+1 s', '+2.5 s': the label of a frame `timeS` seconds after the reference. */
export function futureLabel(timeS: number): string {
  const rounded = Math.round(timeS * 10) / 10;
  return `${rounded < 0 ? '-' : '+'}${Math.abs(rounded)} s`;
}

// 5×7 glyphs, one string per row ('#' = ink): labels need no font on the machine that draws them.
const GLYPHS: Record<string, readonly string[]> = {
  '0': [' ### ', '#   #', '#  ##', '# # #', '##  #', '#   #', ' ### '],
  '1': ['  #  ', ' ##  ', '  #  ', '  #  ', '  #  ', '  #  ', ' ### '],
  '2': [' ### ', '#   #', '    #', '   # ', '  #  ', ' #   ', '#####'],
  '3': ['#####', '   # ', '  #  ', '   # ', '    #', '#   #', ' ### '],
  '4': ['   # ', '  ## ', ' # # ', '#  # ', '#####', '   # ', '   # '],
  '5': ['#####', '#    ', '#### ', '    #', '    #', '#   #', ' ### '],
  '6': ['  ## ', ' #   ', '#    ', '#### ', '#   #', '#   #', ' ### '],
  '7': ['#####', '    #', '   # ', '  #  ', ' #   ', ' #   ', ' #   '],
  '8': [' ### ', '#   #', '#   #', ' ### ', '#   #', '#   #', ' ### '],
  '9': [' ### ', '#   #', '#   #', ' ####', '    #', '   # ', ' ##  '],
  '+': ['     ', '  #  ', '  #  ', '#####', '  #  ', '  #  ', '     '],
  '-': ['     ', '     ', '     ', '#####', '     ', '     ', '     '],
  '.': ['     ', '     ', '     ', '     ', '     ', ' ##  ', ' ##  '],
  s: ['     ', '     ', ' ####', '#    ', ' ### ', '    #', '#### '],
  ' ': ['     ', '     ', '     ', '     ', '     ', '     ', '     '],
};

/** Width in pixels of `text` drawn at `scale` (6 columns per glyph: 5 of ink and a space). */
export function textWidth(text: string, scale: number): number {
  return Math.max(0, text.length * 6 - 1) * scale;
}

/** Draws `text` into an RGB image with its top-left at (x0, y0), each glyph pixel a `scale`² block. */
export function drawText(image: RgbFrame, text: string, x0: number, y0: number, scale: number): void {
  [...text].forEach((ch, k) => {
    const glyph = GLYPHS[ch];
    if (!glyph) throw new RangeError(`no glyph for '${ch}' in label '${text}'`);
    glyph.forEach((row, gy) => {
      for (let gx = 0; gx < 5; gx++) {
        if (row[gx] !== '#') continue;
        for (let dy = 0; dy < scale; dy++) {
          const y = y0 + gy * scale + dy;
          const x = x0 + (k * 6 + gx) * scale;
          if (y < 0 || y >= image.height) continue;
          for (let dx = 0; dx < scale; dx++) {
            if (x + dx >= 0 && x + dx < image.width)
              image.data.fill(255, (y * image.width + x + dx) * 3, (y * image.width + x + dx) * 3 + 3);
          }
        }
      }
    });
  });
}

/** Nearest-neighbour resize (the tiny model's 32×32 frames stay crisp blocks instead of blur). */
export function resizeNearest(frame: RgbFrame, width: number, height: number): RgbFrame {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(frame.height - 1, Math.floor((y * frame.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(frame.width - 1, Math.floor((x * frame.width) / width));
      out.set(
        frame.data.subarray((sy * frame.width + sx) * 3, (sy * frame.width + sx) * 3 + 3),
        (y * width + x) * 3,
      );
    }
  }
  return { width, height, data: out };
}

export interface StripOptions {
  /** Default 4 (two rows for the 8 sparse chunks). */
  readonly columns?: number;
  /** Frames are scaled up (whole multiples) to at least this width. Default 256. */
  readonly minTileWidth_px?: number;
  /** Default 80. */
  readonly jpegQuality?: number;
}

/** Where each tile and label goes; pure, so the geometry is testable without decoding a JPEG. */
export interface StripLayout {
  readonly width: number;
  readonly height: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly glyphScale: number;
  readonly tiles: readonly { x: number; y: number; labelX: number; labelY: number; label: string }[];
}

const GAP_PX = 4;

/** Tiles in columns, each with a black band below it holding its label in glyphs ≥ 1/20 of the tile width tall. */
export function stripLayout(
  frames: readonly { width: number; height: number }[],
  labels: readonly string[],
  options: StripOptions = {},
): StripLayout {
  if (frames.length === 0) throw new RangeError('no frames to tile');
  const { width, height } = frames[0]!;
  const scale = Math.max(1, Math.ceil((options.minTileWidth_px ?? 256) / width));
  const tileWidth = width * scale;
  const tileHeight = height * scale;
  const glyphScale = Math.max(2, Math.round(tileWidth / 64));
  const band = 7 * glyphScale + 2 * glyphScale;
  const cols = Math.min(options.columns ?? 4, frames.length);
  const rows = Math.ceil(frames.length / cols);
  const cellH = tileHeight + band;
  const tiles = frames.map((_, i) => {
    const x = (i % cols) * (tileWidth + GAP_PX);
    const y = Math.floor(i / cols) * (cellH + GAP_PX);
    const label = labels[i] ?? '';
    return {
      x,
      y,
      labelX: x + Math.max(0, Math.floor((tileWidth - textWidth(label, glyphScale)) / 2)),
      labelY: y + tileHeight + glyphScale,
      label,
    };
  });
  return {
    width: cols * tileWidth + (cols - 1) * GAP_PX,
    height: rows * cellH + (rows - 1) * GAP_PX,
    tileWidth,
    tileHeight,
    glyphScale,
    tiles,
  };
}

/** The frames as one RGB image: scaled tiles, each labelled underneath (outside the picture). */
export function renderStrip(
  frames: readonly RgbFrame[],
  labels: readonly string[],
  options: StripOptions = {},
): RgbFrame {
  const layout = stripLayout(frames, labels, options);
  const image: RgbFrame = {
    width: layout.width,
    height: layout.height,
    data: new Uint8Array(layout.width * layout.height * 3),
  };
  frames.forEach((f, i) => {
    if (f.data.length !== f.width * f.height * 3)
      throw new RangeError(`frame ${i} is ${f.width}×${f.height} but holds ${f.data.length} bytes, not RGB`);
    const tile = resizeNearest(f, layout.tileWidth, layout.tileHeight);
    const { x, y, labelX, labelY, label } = layout.tiles[i]!;
    for (let row = 0; row < layout.tileHeight; row++) {
      image.data.set(
        tile.data.subarray(row * layout.tileWidth * 3, (row + 1) * layout.tileWidth * 3),
        ((y + row) * layout.width + x) * 3,
      );
    }
    drawText(image, label, labelX, labelY, layout.glyphScale);
  });
  return image;
}

async function jpeg(image: RgbFrame, quality: number): Promise<Uint8Array> {
  const out = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The imagined future as one JPEG: each decoded frame a tile labelled with its real time (+1 s … +20 s). */
export async function encodeFutureFrames(
  frames: readonly FutureFrame[],
  options: StripOptions = {},
): Promise<Uint8Array> {
  const rgb = frames.map((f) => ({ width: f.width, height: f.height, data: f.rgb }));
  return jpeg(
    renderStrip(
      rgb,
      frames.map((f) => futureLabel(f.timeS)),
      options,
    ),
    options.jpegQuality ?? 80,
  );
}
