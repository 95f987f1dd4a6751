/** Placeholder: bulk issuing from the command line lands with the bulk-issue feature. */
export async function runBulkIssueCommand(_args: string[]): Promise<number> {
  console.error('kabao issue: not available yet')
  return 1
}
