-- Appends no longer NOTIFY from their own transaction: a transaction that has sent a NOTIFY holds a
-- database-wide lock through its commit (WAL flush included), so concurrent appends committed one at a
-- time. The service's event store now signals its own notifier thread after each committed append,
-- which sends one NOTIFY per burst on a connection of its own (see AppendNotifier). Whatever else appends
-- events should send `NOTIFY userstream_events` after committing, or the subscriptions find its events at
-- their next poll.
DROP TRIGGER events_appended ON events;
DROP FUNCTION notify_events_appended();
