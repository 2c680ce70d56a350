// Numbers, durations and dates in words a person reads at a glance.

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const rest = s % 60;
    return rest ? `${Math.floor(s / 60)} min ${rest} s` : `${s / 60} min`;
  }
  const minutes = Math.round((s % 3600) / 60);
  const hours = Math.floor(s / 3600) + (minutes === 60 ? 1 : 0);
  const shownMinutes = minutes === 60 ? 0 : minutes;
  return shownMinutes ? `${hours} h ${shownMinutes} min` : `${hours} h`;
}

/** At most `digits` significant digits, no exponent for everyday values: 0.000123, 1.23, 12346. */
export function number(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (value === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  if (magnitude >= digits) return Math.round(value).toLocaleString("en");
  if (magnitude < -6) return value.toExponential(digits - 1);
  return String(Number(value.toPrecision(digits)));
}

export function percent(fraction) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "–";
  const value = fraction * 100;
  if (value > 0 && value < 0.1) return "<0.1%";
  return `${value > 0 && value < 1 ? value.toFixed(1) : Math.floor(value)}%`;
}

export function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th"}`;
}

export function bytes(n) {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB"];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function plural(count, word, many = `${word}s`) {
  return `${count.toLocaleString("en")} ${count === 1 ? word : many}`;
}

/** "2026-11-28 18:05" in the browser's time zone. */
export function dateTime(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (v) => String(v).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} `
    + `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function shortId(id) {
  return id && id.length > 12 ? id.slice(0, 8) : id;
}
