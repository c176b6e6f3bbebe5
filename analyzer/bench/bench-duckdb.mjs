// SPDX-License-Identifier: GPL-2.0
// The DuckDB peer of the analyzer benchmark: the same statistics of latency
// send:rx_kernel from the same record CSV: read_csv with the record format's
// column types, join on seq, then count, min, max, mean, stddev (n-1) and
// quantile_cont (linear interpolation at rank (n-1)q, the analyzer's
// definition).  Prints one JSON line (the keys of bench-agree.py).
//   node bench-duckdb.mjs FILE.csv
import { DuckDBInstance } from '@duckdb/node-api';

const path = process.argv[2];
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const lit = `'${path.replaceAll("'", "''")}'`;
const sql = `
WITH r AS (
  SELECT event, tsc, seq FROM read_csv(${lit}, header = true, auto_detect = false, delim = ',',
    columns = {'source': 'VARCHAR', 'event': 'VARCHAR', 'cpu': 'USMALLINT', 'tsc': 'UBIGINT',
               'irq': 'UINTEGER', 'vector': 'USMALLINT', 'seq': 'UBIGINT', 'dom': 'USMALLINT',
               'aux': 'UBIGINT', 'flags': 'VARCHAR'})),
lat AS (
  SELECT (x.tsc - s.tsc)::BIGINT AS l
  FROM (SELECT seq, tsc FROM r WHERE event = 'send') s
  JOIN (SELECT seq, tsc FROM r WHERE event = 'rx_kernel') x USING (seq))
SELECT count(*) AS n, min(l) AS min, max(l) AS max, avg(l) AS mean, stddev_samp(l) AS sd,
  quantile_cont(l, [0.5, 0.9, 0.99, 0.999, 0.9999]) AS q
FROM lat`;
const reader = await con.runAndReadAll(sql);
const [row] = reader.getRowObjectsJS();
const q = (row.q.items ?? row.q).map(Number);
console.log(JSON.stringify({
  tool: 'duckdb', count: Number(row.n), min: Number(row.min), max: Number(row.max), mean: Number(row.mean),
  stddev: Number(row.sd), median: q[0], p90: q[1], p99: q[2], p999: q[3], p9999: q[4],
}));
con.closeSync();
