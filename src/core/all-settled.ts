/**
 * Waits for every one of `work`, whatever happens to the others (a kill switch or a recovery must
 * not stop half way because one part failed); then throws the failure, or an `AggregateError`
 * ("<count> <several>") when there were several.
 */
export async function allOrFailures(work: readonly Promise<unknown>[], several: string): Promise<void> {
  const failures = (await Promise.allSettled(work)).flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} ${several}`);
}
