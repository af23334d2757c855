// Why an nft expression or statement cannot run (a refusal checkNft reports), thrown at compile
// time; in a module of its own so that the expression modules (expr.ts, exthdr-op.ts) share it.

/** Why an expression cannot run (a refusal checkNft reports), thrown at compile time. */
export class NftRefusal extends Error {
  constructor(
    message: string,
    readonly at: { readonly pos?: { file: string; line: number; column: number } } | undefined,
    readonly token: string,
  ) {
    super(message);
  }
}
