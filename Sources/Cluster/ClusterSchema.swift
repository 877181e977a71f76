/// The cluster's tables in PostgreSQL, made by the cluster itself: each link runs this as
/// it (re)connects, before its first statement. Every statement is `IF NOT EXISTS`, so a
/// database whose migrations 5 and 7 made them (before they moved here) keeps them as they
/// are, and a new one gets the same tables from here. Not a numbered migration: the
/// records' numbering stays as it was (5 and 7 still run, without these tables), and SQLite,
/// which never holds a cluster, never sees them.
///
/// `cluster_nodes`, `session_claims` and `cluster_answers` are UNLOGGED: beacons rebuild
/// presence and an answer lives a moment, never worth a WAL write (a crash empties them).
/// `cluster_minutes` is logged: the dashboard's chart outlives a node. `seq` columns order
/// the writes of all nodes, so each reads only what came after its last read.
///
/// The statements run as one transaction (one simple query), under an advisory lock of
/// their own: nodes starting together would otherwise race to make the same table, and
/// the loser would fail on the catalog's unique index.
enum ClusterSchema {
    /// "LHCL"; the records' migrations take "LHUB".
    static let lock = 0x4C48_434C

    static let statements = """
        SELECT pg_advisory_xact_lock(\(lock));
        CREATE UNLOGGED TABLE IF NOT EXISTS cluster_nodes (
            node_id TEXT PRIMARY KEY, updated_at TIMESTAMPTZ NOT NULL, changed_at BIGINT NOT NULL, sessions BIGINT NOT NULL,
            counters BYTEA NOT NULL);
        CREATE UNLOGGED TABLE IF NOT EXISTS session_claims (
            session_id TEXT PRIMARY KEY, node_id TEXT NOT NULL, claimed_at TIMESTAMPTZ NOT NULL, seq BIGINT NOT NULL);
        CREATE INDEX IF NOT EXISTS session_claims_by_seq ON session_claims (seq);
        CREATE INDEX IF NOT EXISTS session_claims_by_time ON session_claims (claimed_at);
        CREATE SEQUENCE IF NOT EXISTS session_claims_seq;
        CREATE TABLE IF NOT EXISTS cluster_minutes (
            node_id TEXT NOT NULL, minute BIGINT NOT NULL, point BYTEA NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (node_id, minute));
        CREATE INDEX IF NOT EXISTS cluster_minutes_by_seq ON cluster_minutes (seq);
        CREATE SEQUENCE IF NOT EXISTS cluster_minutes_seq;
        CREATE UNLOGGED TABLE IF NOT EXISTS cluster_answers (
            asker TEXT NOT NULL, query_id BIGINT NOT NULL, node_id TEXT NOT NULL, body BYTEA NOT NULL, answered_at TIMESTAMPTZ NOT NULL);
        CREATE INDEX IF NOT EXISTS cluster_answers_by_asker ON cluster_answers (asker)
        """
}
