/* walkapp: one intended action = one record, however the finger bounces.
 *
 * On a throttled phone two taps 30 ms apart reach a click handler twice before the first await
 * returns. A guard ignores a repeat of the same action within `windowMs` of the last accepted
 * one, and any repeat while that action's save is still in flight. Pure: the clock is injected.
 */

export const DOUBLE_TAP_MS = 600;

export function createGuard({ windowMs = DOUBLE_TAP_MS, now = () => Date.now() } = {}) {
  const lastAt = new Map();
  const inFlight = new Set();

  // Whether an action with this key would be accepted now (nothing is recorded).
  function accepts(key) {
    if (inFlight.has(key)) return false;
    const last = lastAt.get(key);
    return last === undefined || now() - last >= windowMs;
  }

  // Run action() unless it is a repeat: resolves with { ran: true, value } (the action's value),
  // or { ran: false } for a repeat, which runs nothing.
  async function run(key, action) {
    if (!accepts(key)) return { ran: false };
    lastAt.set(key, now());
    inFlight.add(key);
    try {
      return { ran: true, value: await action() };
    } finally {
      inFlight.delete(key);
    }
  }

  return { accepts, run, busy: (key) => inFlight.has(key) };
}
