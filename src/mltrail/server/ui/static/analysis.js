// Shared pieces of the compare and sweep pages: numeric columns, log detection, parallel coordinates.

export function asNumber(v) {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && !isNaN(Number(v))) return Number(v);
  return null;
}

// A parameter is "log-scaled" when all its values are positive and span at least two decades.
export function isLogScaled(values) {
  const nums = values.map(asNumber).filter((v) => v !== null);
  if (nums.length < 2 || nums.some((v) => v <= 0)) return false;
  return Math.max(...nums) / Math.min(...nums) >= 100;
}

export function dimension(label, values) {
  const nums = values.map(asNumber);
  if (nums.every((v) => v !== null)) {
    if (isLogScaled(nums)) {
      const logs = nums.map((v) => Math.log10(v));
      const lo = Math.floor(Math.min(...logs)), hi = Math.ceil(Math.max(...logs));
      const ticks = []; for (let e = lo; e <= hi; e++) ticks.push(e);
      return { label: `${label} (log)`, values: logs, tickvals: ticks, ticktext: ticks.map((e) => `1e${e}`) };
    }
    return { label, values: nums };
  }
  const cats = [...new Set(values.map(String))].sort();
  return { label, values: values.map((v) => cats.indexOf(String(v))), tickvals: cats.map((_, i) => i), ticktext: cats };
}

export function parcoords(dimensions, color, colorTitle, names = null) {
  return [{ type: "parcoords", dimensions, text: names,
    line: color ? { color, colorscale: "Viridis", reversescale: true, showscale: true, colorbar: { title: colorTitle } } : {} }];
}
