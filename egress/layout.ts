/**
 * The composite grid: n tiles of equal size, ceil(sqrt(n)) columns, filled row by row. Sizes are
 * even (yuv420p needs it). Pure, so the layout for any participant count is unit-tested.
 */
export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Canvas {
  width: number;
  height: number;
  fps: number;
}

const even = (value: number) => Math.max(2, Math.floor(value / 2) * 2);

export function gridLayout(count: number, canvas: Pick<Canvas, 'width' | 'height'>): Tile[] {
  if (count <= 0) return [];
  const columns = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / columns);
  const width = even(canvas.width / columns);
  const height = even(canvas.height / rows);
  return Array.from({ length: count }, (_, i) => ({
    x: (i % columns) * width,
    y: Math.floor(i / columns) * height,
    width,
    height,
  }));
}
