/**
 * Private helper of the configuration parsers (`config.ts`, `webhook/webhook_config.ts`):
 * reading integer variables the same way everywhere.
 *
 * @module
 */

/** Reads variable `name` as an integer in `min..max`; unset or empty gives `fallback`. */
export type IntReader = (name: string, fallback: number, min: number, max: number) => number;

/**
 * The integer reader over `get`: a value that is not a decimal integer in range is recorded in
 * `problems` (so every bad variable is reported at once) and read as the fallback.
 *
 * @param get The variable's trimmed value, or undefined when unset or empty.
 * @param problems Collects one message per bad variable.
 */
export function intReader(
  get: (name: string) => string | undefined,
  problems: string[],
): IntReader {
  return (name, fallback, min, max) => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };
}
