-- 002: who holds a claim.
-- "pid@host" of the process that claimed the job last; with the lease it
-- tells an operator (and the tests) which process is sending a job.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
