-- The ledger: one append-only table of entries (runs and corrections) chained by hash, the
-- chain's head kept apart, and hashed bearer tokens.
CREATE TABLE IF NOT EXISTS entries (
    seq             INTEGER PRIMARY KEY,
    entry_type      TEXT NOT NULL CHECK (entry_type IN ('run', 'correction')),
    id              TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL,
    request_digest  TEXT NOT NULL,
    repo            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    tool            TEXT,
    rule_id         TEXT,
    author          TEXT,
    recorded_at     TEXT NOT NULL,
    body            TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    UNIQUE (entry_type, idempotency_key)
);
CREATE INDEX IF NOT EXISTS entries_repo ON entries (entry_type, repo, seq);
CREATE INDEX IF NOT EXISTS entries_rule ON entries (entry_type, rule_id, seq);
CREATE INDEX IF NOT EXISTS entries_tool ON entries (entry_type, tool, seq);
CREATE INDEX IF NOT EXISTS entries_author ON entries (entry_type, author, seq);

CREATE TABLE IF NOT EXISTS chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('reporter', 'reader', 'architect', 'admin')),
    label      TEXT,
    created_at TEXT NOT NULL
);
