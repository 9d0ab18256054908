/**
 * What every `wirenote` subcommand provides. main.ts holds one line per command (its name and
 * its module); the module exports `command`. Messages for the user go through `say` (locale.ts).
 */
export interface Command {
  /** One line for `wirenote --help`, in the user's language. */
  summary(): string;
  /** `wirenote <command> --help`: the full usage, in the user's language. */
  help(): string;
  /** Run with the arguments after the command name; resolves to the exit status. */
  run(args: string[]): Promise<number>;
}

/** Exit statuses shared by all commands (tshark uses 2 for usage errors and missing files too). */
export const EXIT = { OK: 0, DAMAGED: 1, USAGE: 2, UNDECODED: 3, LIMIT: 4, INTERNAL: 70 } as const;

/** A usage problem: the command prints the message (and a hint) and exits with 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
