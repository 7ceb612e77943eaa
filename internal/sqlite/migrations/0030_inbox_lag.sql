-- The inbox's search index (migration 0029) follows the inbox lazily. Kept
-- in step in every commit, it cost a one-task workflow about 8 % of its CPU
-- at 8 clients (issue 18): a full-text segment written, and four B-trees'
-- pages, per commit, for actions that mostly leave the inbox within
-- milliseconds. Now each commit that moves asynchronous actions in or out
-- of the inbox records their ids here, one row a commit (a page appended),
-- and the writer applies the rows to the index once they are a second old
-- or 1,024 ids wait, when it closes, and when it opens after a crash
-- (inboxLag). An action that came and went in between never touches the
-- index. A search reads the ids here besides the index's matches, in the
-- same snapshot, so its results are the same as before.
CREATE TABLE inbox_lag (
    seq     INTEGER PRIMARY KEY,
    entered TEXT NOT NULL, -- JSON array: ids of actions now pending
    exited  TEXT NOT NULL  -- JSON array: ids of actions no longer pending
);
