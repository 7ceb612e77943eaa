-- The timeline as one row per execution per commit: the state changes one
-- commit makes to an execution (its own, its tasks', its actions') are a
-- JSON array in one row. A one-task workflow used to write six rows, each
-- into two B-trees, for about a tenth of the writer's time; now two.
-- events: [{"kind": …, "ref": …, "state": …, "via": …, "note": …, "at": …}],
-- via and note left out when empty.
CREATE TABLE timeline (
    id           INTEGER PRIMARY KEY,
    execution_id TEXT NOT NULL,
    events       TEXT NOT NULL
);
INSERT INTO timeline (id, execution_id, events)
    SELECT id, execution_id, json_array(json_object('kind', kind, 'ref', ref, 'state', state, 'via', via, 'note', note, 'at', at))
    FROM state_changes ORDER BY id;
DROP TABLE state_changes;
CREATE INDEX timeline_execution ON timeline (execution_id, id);
