// The seed's sample-selection flow, from Node.js with node-postgres (npm `pg`),
// as an application that connects as a login role granted phaseline_app.
//
//   node seed_flow.mjs '{"owner": 2, "tester": 4, "cycle": "...", "report": "..."}'
//
// The connection comes from the libpq variables (PGHOST, PGUSER, PGDATABASE, ...),
// which node-postgres reads too. Errors are told apart by their rule name
// (err.constraint), never by their message. Prints one JSON line: the result.
import pg from "pg";

const world = JSON.parse(process.argv[2]);
const client = new pg.Client();
await client.connect();

const one = async (text, values) => (await client.query(text, values)).rows[0];
const call = async (fn, ...args) => {
  const params = args.map((_, i) => `$${i + 1}`).join(", ");
  return Object.values(await one(`SELECT phaseline_api.${fn}(${params}) AS r`, args))[0];
};

try {
  // version 1: the tester recommends 100 samples and submits
  const v1 = await call("start_sample_selection", world.cycle, world.report, world.tester);
  const samples = Array.from({ length: 100 }, (_, i) => ({ sample_key: `loan-${i}`, data: { balance: 1000 + i } }));
  await call("recommend_samples", v1, JSON.stringify(samples), "tester", world.tester);
  await call("submit_version", v1, world.tester);

  // the owner approves 80, rejects 20
  const decisions = samples.map((s, i) =>
    i < 80 ? { sample_key: s.sample_key, status: "approved" } : { sample_key: s.sample_key, status: "rejected", note: "out of scope" });
  await call("decide_samples", v1, JSON.stringify(decisions), world.owner);

  // the tester tries to approve its own work: the API says no, by rule name
  let refusedBy = null;
  try {
    await call("approve_version", v1, world.tester, null);
  } catch (err) {
    if (err.constraint === "not_reviewer" || err.constraint === "four_eyes") {
      refusedBy = { rule: err.constraint, sqlstate: err.code, hint: err.hint };
    } else {
      throw err;
    }
  }
  const artifact = await call("approve_version", v1, world.owner, null);

  // version 2 carries the 80 forward; the tester adds 10; the owner approves all
  const v2 = await call("start_sample_selection", world.cycle, world.report, world.tester);
  const added = Array.from({ length: 10 }, (_, i) => ({ sample_key: `loan-new-${i}`, data: {} }));
  await call("recommend_samples", v2, JSON.stringify(added), "tester", world.tester);
  await call("submit_version", v2, world.tester);
  await call("decide_samples", v2, JSON.stringify(added.map((s) => ({ sample_key: s.sample_key, status: "approved" }))), world.owner);
  await call("approve_version", v2, world.owner, null);

  const counts = await one(
    `SELECT count(*) FILTER (WHERE recommendation_source = 'carried_forward')::int AS carried,
            count(*) FILTER (WHERE decision_status = 'approved')::int AS approved
       FROM phaseline_api.sample_decisions WHERE version_id = $1`, [v2]);
  const lineage = (await client.query(
    `SELECT l.step, l.version_number, l.recommendation_source
       FROM phaseline_api.sample_decisions d, phaseline_api.sample_lineage(d.id) l
      WHERE d.version_id = $1 AND d.sample_key = 'loan-0' ORDER BY l.step`, [v2])).rows;
  console.log(JSON.stringify({ refusedBy, artifact, v2, ...counts, lineage }));
} finally {
  await client.end();
}
