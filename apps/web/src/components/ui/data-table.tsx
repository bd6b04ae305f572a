"use client";

import { Fragment, type ReactNode } from "react";

export type Column<Row> = {
  key: string;
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** "numeric", "nowrap", "mono", "check", "wrap": how the column's cells lay out. */
  className?: string;
  /** A header that is already a <th> (a sort button, a select-all box). */
  headerCell?: ReactNode;
};

/**
 * A table that scrolls inside its card on a narrow screen instead of widening the page. Columns are
 * declared once (header and cell together), so each view lists what it shows, not table markup.
 */
export function DataTable<Row>({
  columns,
  rows,
  rowKey,
  caption,
  busy,
  rowClassName,
}: {
  columns: readonly (Column<Row> | null | false)[];
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  caption?: string;
  busy?: boolean;
  rowClassName?: (row: Row) => string | undefined;
}) {
  const shown = columns.filter((column): column is Column<Row> => Boolean(column));
  return (
    <div className="table-wrap" aria-busy={busy}>
      <table className="table">
        {caption ? <caption className="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {shown.map((column) =>
              column.headerCell ? (
                <Fragment key={column.key}>{column.headerCell}</Fragment>
              ) : (
                <th key={column.key} scope="col" className={column.className}>
                  {column.header}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} className={rowClassName?.(row)}>
              {shown.map((column) => (
                <td key={column.key} className={column.className}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
