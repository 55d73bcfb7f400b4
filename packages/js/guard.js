// Every guest call goes through `call`: a trap is a thrown error, and it poisons the module.
// After a trap the guest's state is unknown, so every later call throws too: a firewall that
// cannot answer must never answer "nothing found".

/** The base class of every error this package throws on purpose. */
export class DatafogError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The WebAssembly guest trapped (a bug in the core, or memory exhausted). Every later call
 * throws this error too; restart the process.
 */
export class TrapError extends DatafogError {}

let trapped = null;

/**
 * Runs one guest call. A trap (`WebAssembly.RuntimeError`) becomes a `TrapError`; a WIT `result`
 * error (jco's `ComponentError`, which has `payload`) is handed to `onError`, which returns the
 * error to throw.
 */
export function call(fn, onError) {
  if (trapped) {
    throw new TrapError(`the DataFog guest trapped earlier (${trapped.message}); restart the process`, {
      cause: trapped,
    });
  }
  try {
    return fn();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      trapped = e;
      throw new TrapError(`the DataFog guest trapped: ${e.message}`, { cause: e });
    }
    if (onError && e !== null && typeof e === 'object' && Object.hasOwn(e, 'payload')) throw onError(e.payload);
    throw e;
  }
}
