-- 010: offboarding (issue 11, part 6; DIR-6). An account can be disabled:
-- a temporary disable (employees.state 'disabled') or an offboarding
-- ('offboarded'). A disabled account cannot sign in (the same answer as a
-- wrong password) and its sessions stop working at once: the session
-- look-up and the password step read this column in the queries they
-- already make. NULL: enabled; else when it was disabled.
ALTER TABLE accounts ADD COLUMN disabled_at BIGINT;
