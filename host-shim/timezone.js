// @ts-check
// Turns "resets 3:50pm (Asia/Tokyo)" into an instant. The core cannot: it has no time-zone
// database. The host finds the zone's UTC offset (Intl) and the core does the clock arithmetic.

/**
 * The UTC offset of an IANA zone at an instant, in minutes (east positive); the machine's own
 * offset when `zone` is null or unknown.
 * @param {string | null | undefined} zone
 * @param {number} at ms since the epoch
 */
export function utcOffsetMinutes(zone, at) {
  if (zone) {
    try {
      const parts = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
      }).formatToParts(new Date(at));
      /** @param {string} type */
      const get = (type) => Number(parts.find((p) => p.type === type)?.value);
      const local = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
      const utcMinute = Math.floor(at / 60_000) * 60_000;
      return Math.round((local - utcMinute) / 60_000);
    } catch {
      // An unknown zone name: fall back to the machine's zone below.
    }
  }
  return -new Date(at).getTimezoneOffset();
}
