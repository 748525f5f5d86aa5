/** Worker task for test/imaging/parallel.test.ts: throws for every task, naming it. */
export function failingTask(task: number): void {
  throw new Error(`task ${task} failed on purpose`);
}
