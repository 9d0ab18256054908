/** A chart of a notebook's own — a Vega-Lite spec with the figure's id and caption — independent of the narrative, as cell source. */
export function miniChart(caption = '小图'): string {
  return JSON.stringify({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    usermeta: { figure: { id: 'mini', caption } },
    data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 1 }] },
    mark: 'line',
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  });
}
