/** The named fields of `row`, as they are: presenters copy the columns an answer shows under their own names. */
export function pick<Row extends object, Key extends keyof Row>(row: Row, keys: readonly Key[]): Pick<Row, Key> {
  const picked = {} as Pick<Row, Key>
  for (const key of keys) picked[key] = row[key]
  return picked
}
