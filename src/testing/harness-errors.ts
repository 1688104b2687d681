import { TidesyncError } from '../core/index.js';

/**
 * `settle()` ran its maximum number of rounds and the clients still had work or errors.
 * Code `SYNC_STUCK`; `lastErrors` holds each client's last failure, if any.
 */
export class SettleError extends TidesyncError {
  /** Rounds run before giving up. */
  readonly rounds: number;
  /** Per client index, the last error its sync raised in the final round. */
  readonly lastErrors: ReadonlyMap<number, Error>;

  constructor(message: string, rounds: number, lastErrors: ReadonlyMap<number, Error>) {
    super('SYNC_STUCK', message);
    this.rounds = rounds;
    this.lastErrors = lastErrors;
  }
}

/**
 * `assertConverged()` found a replica that differs from the server. The message is a readable
 * diff; `differences` holds one line per differing field or record. Code `NOT_CONVERGED`
 * (the replicas fail the convergence check).
 */
export class ConvergenceError extends TidesyncError {
  /** One line per difference, `client 1 todos/<id>.title: "a" (replica) vs "b" (server)`. */
  readonly differences: readonly string[];

  constructor(message: string, differences: readonly string[]) {
    super('NOT_CONVERGED', message);
    this.differences = differences;
  }
}
